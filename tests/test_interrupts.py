"""SIGKILL keeps every finished sample; Ctrl-C cancels cleanly and leaves no processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from conftest import read_rows


def start_run(out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "faasbench", "run", "--runtimes", "native,wasmtime",
         "--benchmarks", "nbody", "--size", "nbody=200000", "--iterations", "500",
         "--mode", "warm", "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_samples(out: Path, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if out.exists() and out.read_text().count('"sample_recorded"') >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} samples after {timeout} s")


def descendants_with_worker(proc: subprocess.Popen) -> tuple[list[psutil.Process],
                                                             psutil.Process]:
    """The run's descendants and, among them, the ``python -m engine.measure.worker`` running
    guests."""
    children = psutil.Process(proc.pid).children(recursive=True)
    workers = []
    for child in children:
        try:
            if child.cmdline()[1:3] == ["-m", "engine.measure.worker"]:
                workers.append(child)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    assert len(workers) == 1, [c.cmdline() for c in children]
    return children, workers[0]


def all_gone(processes: list[psutil.Process]) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=10)
    return not alive


def test_sigkill_keeps_every_finished_sample(built, tmp_path):
    """A killed controller loses nothing it wrote, and takes its worker with it."""
    out = tmp_path / "killed.jsonl"
    proc = start_run(out)
    wait_for_samples(out, 5)
    children, worker = descendants_with_worker(proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rows = read_rows(out)
    assert rows[0]["event"] == "run_planned"
    kept = [r for r in rows if r["event"] == "sample_recorded"]
    assert len(kept) >= 5 and all(r["ok"] for r in kept)
    assert out.read_text().endswith("\n"), "every written line is complete"
    assert all_gone([worker]), "the worker dies with its controller"
    assert all_gone(children), "and so do the guests"


def test_ctrl_c_cancels_keeps_samples_and_leaves_no_children(built, tmp_path):
    """Ctrl-C ends the run with exit 130, a cancelled RunFinished, and no worker left."""
    out = tmp_path / "interrupted.jsonl"
    proc = start_run(out)
    wait_for_samples(out, 5)
    children, worker = descendants_with_worker(proc)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "cancelling" in stderr and "results:" in stderr
    rows = read_rows(out)
    assert rows[-1]["event"] == "run_finished" and rows[-1]["cancelled"] is True
    assert any(r["event"] == "cell_finished" and r["cancelled"] for r in rows)
    assert sum(r["event"] == "sample_recorded" for r in rows) >= 5
    assert all_gone([worker]) and all_gone(children)
