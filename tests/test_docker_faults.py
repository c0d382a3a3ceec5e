"""The Docker engine and containers going away under a run, for real: the engine SIGKILLed mid-cell
(and started again), and ``faasbench clean`` while a run is going.

The engine that dies is one of the test's own (``.ci/dockerd.sh`` in a folder of its own), so
the session's engine and other tests' containers are not touched.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from conftest import read_rows
from docker_support import dockerd, labelled_containers

from engine import owner
from engine.measure.run import Run
from engine.measure.worker_link import OWNER_FILE, SCRATCH_PREFIX, _scratch_root
from engine.runtimes.docker.engine_client import connect
from engine.runtimes.docker.images import RUN_LABEL
from engine.spec.plan import make_plan
from engine.store.events import CellFinished, RunError, RunFinished, SampleRecorded

STOPPED = re.compile(r"iteration (\d+) of (\d+): the Docker engine at (unix://\S+) stopped "
                     r"answering \(")


@pytest.fixture
def own_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A Docker engine of this test's own (a short folder: unix socket paths are limited)."""
    folder = Path(tempfile.mkdtemp(prefix="fbd-", dir="/tmp"))
    monkeypatch.setenv("DOCKER_HOST", dockerd("start", folder))
    yield folder
    dockerd("start", folder)  # a killed engine, back to remove what it left (shims, mounts)
    with connect() as client:
        for container in client.containers(all=True):
            client.remove_container(container["Id"], force=True)
    dockerd("stop", folder)
    for proc in psutil.process_iter(["cmdline"]):  # a shim of the killed engine's last container
        if any(str(folder) in arg for arg in proc.info["cmdline"] or []):
            proc.kill()
    shutil.rmtree(folder, ignore_errors=True)


def kill_engine(folder: Path) -> None:
    """SIGKILL the engine, and return once it is dead (gone, or a zombie nobody reaps)."""
    pid = int((folder / "dockerd.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)
    raise AssertionError(f"dockerd {pid} outlived SIGKILL")


def faasbench(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "faasbench", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_samples(path: Path, cell: str, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and sum(f'"cell_id":"{cell}"' in line and "sample_recorded" in line
                                 for line in path.read_text().splitlines()) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"{cell} never reached {count} samples: {proc.poll()}")


def test_an_engine_killed_mid_cell_ends_that_cell_and_skips_later_docker_cells(
        built, own_engine: Path, tmp_path: Path) -> None:
    out = tmp_path / "run.jsonl"
    run = faasbench("run", "--runtimes", "docker,wasmtime", "--benchmarks", "nop,nbody",
                    "--size", "nbody=1000", "--mode", "load", "--iterations", "300",
                    "--out", str(out))
    wait_for_samples(out, "docker/nop/load", 10, run)
    kill_engine(own_engine)
    _, stderr = run.communicate(timeout=600)
    assert run.returncode == 1, stderr
    rows = read_rows(out)
    finished = {r["cell_id"]: r for r in rows if r["event"] == "cell_finished"}
    stopped = STOPPED.match(finished["docker/nop/load"]["error"])
    assert stopped, finished["docker/nop/load"]["error"]
    assert stopped.group(3) == os.environ["DOCKER_HOST"]
    kept = [r for r in rows if r["event"] == "sample_recorded" and r["runtime"] == "docker"]
    assert len(kept) == int(stopped.group(1)) - 1 and all(r["ok"] for r in kept)
    for cell in ("wasmtime/nop/load", "wasmtime/nbody/load"):  # the rest ran to the end
        assert finished[cell]["summary"]["ok"] == 300 and not finished[cell]["error"]
    assert "docker/nbody/load" not in finished
    assert not any(r["event"] == "cell_started" and r["cell_id"] == "docker/nbody/load"
                   for r in rows)
    skipped = [r["message"] for r in rows if r["event"] == "run_error"
               and r.get("cell_id") == "docker/nbody/load"]
    assert len(skipped) == 1 and skipped[0].startswith(
        f"docker/nbody/load: skipped: no Docker engine at {os.environ['DOCKER_HOST']}")
    assert rows[-1]["event"] == "run_finished"
    assert stderr.count("stopped answering") == 2, stderr  # the RunError and the cell's line
    assert "failed: Docker engine" not in stderr and "Traceback" not in stderr


def test_an_engine_that_answers_again_runs_the_later_docker_cells(built, own_engine: Path
                                                                   ) -> None:
    plan = make_plan(["docker"], ["nop", "nbody"], sizes={"nbody": 1000}, iterations=200,
                     modes=["load"])
    events = []
    for event in Run(plan).events():
        events.append(event)
        if isinstance(event, SampleRecorded) and (event.cell_id, event.iteration) == (
                "docker/nop/load", 10):
            kill_engine(own_engine)
        if isinstance(event, CellFinished) and event.cell_id == "docker/nop/load":
            dockerd("start", own_engine)  # before the next cell asks
    finished = {e.cell_id: e for e in events if isinstance(e, CellFinished)}
    assert STOPPED.match(finished["docker/nop/load"].error or "")
    nbody = finished["docker/nbody/load"]
    assert nbody.error is None and nbody.summary["ok"] == 200
    assert not [e for e in events if isinstance(e, RunError) and ": skipped: " in e.message]
    assert isinstance(events[-1], RunFinished)


def test_clean_during_a_run_keeps_its_containers_and_force_ends_only_that_cell(
        built, engine: str, tmp_path: Path) -> None:
    out = tmp_path / "run.jsonl"
    run = faasbench("run", "--runtimes", "docker,wasmtime", "--benchmarks", "nop", "--mode",
                    "warm", "--iterations", "100000", "--out", str(out))
    wait_for_samples(out, "docker/nop/warm", 100, run)
    run_id = read_rows(out)[0]["run_id"]
    ours = f"{RUN_LABEL}={run_id}"
    assert labelled_containers(ours)
    clean = subprocess.run([sys.executable, "-m", "faasbench", "clean"], capture_output=True,
                           text=True, timeout=120)
    assert clean.returncode == 0, clean.stderr
    assert (f"left the containers of 1 run(s) still going: run {run_id} (pid {run.pid}); "
            f"`faasbench clean --force` removes them too") in clean.stderr
    assert labelled_containers(ours) and run.poll() is None
    forced = subprocess.run([sys.executable, "-m", "faasbench", "clean", "--force"],
                            capture_output=True, text=True, timeout=120)
    assert forced.returncode == 0 and "removed 1 faasbench container(s)" in forced.stderr
    _, stderr = run.communicate(timeout=600)
    assert run.returncode == 1, stderr
    rows = read_rows(out)
    finished = {r["cell_id"]: r for r in rows if r["event"] == "cell_finished"}
    error = finished["docker/nop/warm"]["error"]
    assert re.fullmatch(r"iteration \d+ of 100001: container removed from outside the run .*",
                        error), error
    assert finished["docker/nop/warm"]["summary"]["failed"] == 0  # no sample paid for it
    assert finished["wasmtime/nop/warm"]["summary"]["ok"] == 100000  # the next cell ran
    assert "Conflict" not in stderr and "APIError" not in stderr and "Traceback" not in stderr


def test_clean_removes_the_scratch_folders_of_runs_that_are_over(engine: str) -> None:
    """A folder whose owner is gone (as a SIGKILLed run leaves it), beside one of a process
    that still runs (this one)."""
    child = subprocess.Popen(["sleep", "60"])
    dead = owner.of_process(child.pid)
    child.kill()
    child.wait()
    assert not owner.alive(dead) and owner.alive(owner.this_process())
    folders = {}
    for name, who in (("over", dead), ("live", owner.this_process())):
        folders[name] = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=_scratch_root()))
        (folders[name] / OWNER_FILE).write_text(who)
    try:
        clean = subprocess.run([sys.executable, "-m", "faasbench", "clean"],
                               capture_output=True, text=True, timeout=120)
        assert clean.returncode == 0, clean.stderr
        assert not folders["over"].exists() and folders["live"].exists()
        assert re.search(r"and [1-9]\d* scratch folder\(s\) of runs that are over", clean.stderr)
    finally:
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)
