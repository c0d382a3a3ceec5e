"""Where results go: a disk that fills up mid-run, and an ``--out`` that cannot be written.

A full disk is a real tmpfs of 200 KiB (mounting one needs root, as CI runs); a read-only mount
is a real read-only tmpfs; /proc/version is the kernel's own file.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ssh_support import ALIAS, VENV_FAASBENCH
from test_cli import faasbench, one_line
from tui_support import choose, report, run, screen_text, wait_until

from tui.app import Config, make_app

FULL = "faasbench: error: the disk is full: measuring stopped; the "
QUICK = ["--runtimes", "native", "--benchmarks", "nop", "--mode", "cold", "--iterations", "3"]


def mount_tmpfs(where: Path, options: str) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real filesystem of 200 KiB: a warm native nop cell fills it in a few hundred samples."""
    yield from mount_tmpfs(tmp_path / "small", "size=200k")


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A filesystem of one page (4 KiB) that a one-byte file fills: no line fits."""
    for disk in mount_tmpfs(tmp_path / "full", "size=4k"):
        (disk / "filler").write_bytes(b"x")
        yield disk


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    yield from mount_tmpfs(tmp_path / "ro", "size=64k,ro")


def whole_lines(path: Path) -> list[dict]:
    """Every line of the file, each a complete JSON event (no half line at the end)."""
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]


def kept_count(stderr: str, path: Path) -> int:
    """The sample count the one error line gives, checked against its wording."""
    (line,) = [line for line in stderr.splitlines() if line.startswith("faasbench: error:")]
    assert line.startswith(FULL), line
    count, rest = line[len(FULL):].split(" ", 1)
    assert rest.startswith(f"samples recorded before it are kept in {path}; free some space"), \
        line
    return int(count)


@pytest.mark.parametrize("stream", [False, True], ids=["progress", "json"])
def test_a_full_disk_stops_measuring_and_keeps_every_whole_line(built, small_disk: Path,
                                                                stream: bool) -> None:
    out = small_disk / "run.jsonl"
    done = faasbench("run", "--runtimes", "native", "--benchmarks", "nop", "--mode", "warm",
                     "--iterations", "5000", "--out", str(out), *(["--json"] if stream else []))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "OSError" not in done.stderr
    rows = whole_lines(out)
    kept = [r for r in rows if r["event"] == "sample_recorded"]
    assert 0 < len(kept) < 5000 and kept_count(done.stderr, out) == len(kept)
    assert rows[0]["event"] == "run_planned" and "run_finished" not in {r["event"] for r in rows}
    if stream:  # what the dashboard reads: every line an event, the last one saying why
        streamed = [json.loads(line) for line in done.stdout.splitlines()]
        assert streamed[-1]["event"] == "run_error"
        assert streamed[-1]["message"].startswith(FULL.removeprefix("faasbench: error: "))


def test_a_full_disk_here_stops_only_this_copy_of_a_host_run(cli: Any,
                                                            small_disk: Path) -> None:
    """Over SSH the host measures and keeps its own file; this machine's copy stops, says so,
    and names how to fetch the rest."""
    done = cli("run", "--host", ALIAS, "--remote-faasbench", VENV_FAASBENCH, "--runtimes",
               "native", "--benchmarks", "nop", "--mode", "warm", "--iterations", "5000",
               "--out", str(small_disk))
    assert done.returncode == 1, done.stderr
    (copy,) = small_disk.glob(f"*-{ALIAS}.jsonl")
    kept = sum(r["event"] == "sample_recorded" for r in whole_lines(copy))
    assert (f"{ALIAS}: this machine's copy of its results stopped at {kept} samples (the disk "
            f"is full: {copy}); the run goes on there, and `faasbench run --resume {copy}` "
            f"fetches it once there is space") in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_disk_full_before_the_first_line_keeps_no_file(built, full_disk: Path) -> None:
    out = full_disk / "scale.jsonl"
    done = faasbench("scale", "--runtimes", "wasmtime", "--benchmark", "nop", "--instances", "1",
                     "--requests", "0", "--out", str(out))
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().endswith(
        f"faasbench: error: the disk is full: measuring stopped; nothing was kept ({out}); "
        f"free some space there or give --out another disk"), done.stderr
    assert not out.exists()


def test_the_dashboard_says_the_disk_is_full(built, small_disk: Path) -> None:
    async def scenario() -> None:
        app = make_app(Config(doctor_report=report("native"), history_dir=small_disk,
                              results_path=small_disk / "results.jsonl"))
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.pause()
            choose(app, {"nop": 0}, 5000)
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.link is not None and not app.link.busy, 120)
            await pilot.pause()
            status = app.screen.query_one("#summary").text.plain
            assert "stopped: the disk is full: measuring stopped; the " in status, status
            assert "samples recorded before it are kept in" in screen_text(app)  # the log
            (cell,) = app.model.cells.values()
            assert cell.status == "failed" and 0 < len(cell.samples) < 5000

    run(scenario())


def _unwritable(tmp_path: Path, read_only: Path) -> dict[str, tuple[str, str]]:
    """--out given, and what the one line must say."""
    afile = tmp_path / "a-file"
    afile.write_text("")
    return {
        "a folder": (str(tmp_path), f"--out {tmp_path} is a folder; name the results file"),
        "under a file": (str(afile / "run.jsonl"),
                         f"{afile} is a file, so nothing can be made under it"),
        "a read-only mount": (str(read_only / "run.jsonl"),
                              f"is on a read-only mount ({read_only})"),
        "a kernel file": ("/proc/version", "--out /proc/version is on proc (/proc), a kernel "
                                           "filesystem that cannot keep files"),
    }


@pytest.mark.parametrize("command", [["run", *QUICK],
                                     ["scale", "--runtimes", "native", "--benchmark", "nop"]])
@pytest.mark.parametrize("case", ["a folder", "under a file", "a read-only mount",
                                  "a kernel file"])
def test_an_out_that_cannot_be_written_is_refused_before_anything_is_built(
        tmp_path: Path, read_only: Path, command: list[str], case: str) -> None:
    out, expected = _unwritable(tmp_path, read_only)[case]
    cache = tmp_path / "cache"
    line = one_line(faasbench(*command, "--out", out, env={"FAASBENCH_CACHE_DIR": str(cache)},
                              timeout=60))
    assert line.startswith("faasbench: error: ") and expected in line, line
    assert not cache.exists() or not any(cache.rglob("*.wasm")), "something was built"


def test_a_file_for_the_folder_of_a_run_on_hosts_is_refused(tmp_path: Path) -> None:
    afile = tmp_path / "results.jsonl"
    afile.write_text("")
    line = one_line(faasbench("run", "--host", "local", *QUICK, "--out", str(afile), timeout=60))
    assert f"--out {afile} is a file; with --host it names a folder" in line
