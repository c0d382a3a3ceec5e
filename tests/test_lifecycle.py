"""The controller's paths, in seconds: a cell's prepare → measure → finish, a prepare that fails
or hangs, a worker that crashes or hangs, cancel, Ctrl-C, and the sample counts.

The runtime here is the stand-in ``FakeRuntime`` (tests/fake_runtime.py): these faults are
commanded, so each path is hit every time. The workers, the protocol and the controller are the
real ones; the same paths are exercised on real runtimes in test_faults.py and test_docker.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from conftest import read_rows, samples
from fake_runtime import SCRIPT_VARIABLE

from engine.measure.cell_run import PREPARE_TIMEOUT_S
from engine.measure.run import Run
from engine.spec.options import RunOptions
from engine.spec.plan import Plan, make_plan
from engine.store.events import (
    CellFinished,
    CellStarted,
    Event,
    RunError,
    RunFinished,
    RunPlanned,
    SampleRecorded,
)

pytestmark = pytest.mark.fast


def run_fake(*, iterations: int = 3, modes: tuple[str, ...] = ("cold",),
             timeout_s: float = 30.0, warmup: int | None = None) -> list[Event]:
    plan = make_plan(["fake"], ["nop"], iterations=iterations, modes=modes, warmup=warmup,
                     options=RunOptions(timeout_s=timeout_s))
    return list(Run(plan).events())


def of(kind: type, events: list[Event]) -> list:
    return [e for e in events if isinstance(e, kind)]


def test_a_cell_goes_prepare_measure_finish(fake) -> None:
    events = run_fake(iterations=3, modes=("cold", "warm"))
    kinds = [type(e).__name__ for e in events]
    cell = ["CellStarted", *["SampleRecorded"] * 3, "CellFinished"]
    warm = ["CellStarted", *["SampleRecorded"] * 4, "CellFinished"]  # one warm-up first
    assert kinds == ["RunPlanned", *cell, *warm, "RunFinished"], "no compiler, no build events"
    for event in events[1:-1]:
        assert event.cell_id == f"fake/nop/{event.mode}" and event.runtime == "fake"
        assert event.benchmark == "nop" and event.size == 0
    assert all(s.ok for s in samples(events))
    finished = of(RunFinished, events)[0]
    assert (finished.ok_samples, finished.failed_samples) == (6, 0), "warm-ups are not counted"
    assert [c.summary["ok"] for c in of(CellFinished, events)] == [3, 3]


def test_a_failed_prepare_fails_the_cell_once_and_claims_no_samples(fake) -> None:
    fake({"prepare": {"cold": ["fail"] * 5}})  # a list, so the fake counts the prepares
    events = run_fake(iterations=5, modes=("cold", "warm"))
    prepares = Path(f"{os.environ[SCRIPT_VARIABLE]}.prepares").read_text()
    assert prepares == "1", "the prepare is not retried per iteration"
    errors = of(RunError, events)
    assert len(errors) == 1
    assert errors[0].cell_id == "fake/nop/cold"
    assert "preparing failed: RuntimeError: the fake runtime was told to fail preparing cold" \
        in errors[0].message
    assert [s.cell_id for s in samples(events)] == ["fake/nop/warm"] * 6
    cold = of(CellFinished, events)[0]
    assert cold.cell_id == "fake/nop/cold" and cold.summary["n"] == 0
    assert cold.error is not None and "told to fail" in cold.error and not cold.cancelled
    assert [e.cell_id for e in of(CellStarted, events)] == ["fake/nop/warm"]


def test_a_crashed_worker_costs_one_sample(fake) -> None:
    """The crash fails one sample; iterations the dead worker finished but had not sent yet
    (it sends them in batches) are run again, so the cell still gets all its samples."""
    fake({"invoke": ["ok", "crash", "ok"]})
    rows = samples(run_fake(iterations=4))
    assert sorted(r.ok for r in rows) == [False, True, True, True]
    assert [r.iteration for r in rows] == [0, 1, 2, 3]
    assert next(r for r in rows if not r.ok).error == "worker process died (signal SIGKILL)"


def test_a_hung_worker_is_killed_and_the_sample_says_timed_out(fake) -> None:
    fake({"invoke": ["hang"]})
    rows = samples(run_fake(iterations=2, timeout_s=1.0))
    assert [r.ok for r in rows] == [False, True]
    assert rows[0].error.startswith("timed out: no answer within 2 s")


@pytest.mark.parametrize(("action", "error"), [
    ("fail", "exit code 3: told to fail"),
    ("wrong", "output mismatch: expected 0 lines, got 1 (last: 'wrong')"),
])
def test_a_failed_sample_says_why(fake, action: str, error: str) -> None:
    fake({"invoke": [action]})
    rows = samples(run_fake(iterations=2))
    assert (rows[0].ok, rows[0].error) == (False, error)
    assert rows[1].ok


def test_cancel_reaches_a_hanging_prepare(fake) -> None:
    fake({"prepare": {"cold": "hang"}})
    run = Run(make_plan(["fake"], ["nop"], iterations=3))
    threading.Timer(1.0, run.cancel).start()
    started = time.monotonic()
    events = list(run.events())
    assert time.monotonic() - started < PREPARE_TIMEOUT_S, \
        "the cancel stopped the prepare, not the prepare's own timeout"
    finished = of(CellFinished, events)
    assert len(finished) == 1 and finished[0].cancelled and finished[0].error is None
    assert not of(RunError, events) and not samples(events)
    assert of(RunFinished, events)[0].cancelled


def test_cancel_cell_moves_on_to_the_next(fake) -> None:
    fake({"then": "slow"})
    run = Run(make_plan(["fake"], ["nop"], iterations=10_000, modes=["cold", "warm"]))
    events: list[Event] = []
    for event in run.events():
        events.append(event)
        if isinstance(event, SampleRecorded) and event.mode == "cold" and event.iteration == 3:
            run.cancel_cell()
        if isinstance(event, SampleRecorded) and event.mode == "warm" and event.iteration == 3:
            run.cancel()
    cold, warm = of(CellFinished, events)
    assert cold.cancelled and warm.cancelled
    assert 4 <= cold.summary["n"] < 10_000 and 3 <= warm.summary["n"] < 10_000
    assert of(RunFinished, events)[0].cancelled


def test_ctrl_c_keeps_samples_and_leaves_no_processes(fake, tmp_path: Path) -> None:
    fake({"then": "slow"})
    out = tmp_path / "r.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "faasbench", "run", "--runtimes", "fake",
                             "--benchmarks", "nop", "--iterations", "10000", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out.exists() and out.read_text().count('"sample_recorded"') >= 3):
        assert time.monotonic() < deadline, "no samples within 60 s"
        time.sleep(0.05)
    children = psutil.Process(proc.pid).children(recursive=True)
    assert any("engine.measure.worker" in " ".join(c.cmdline()) for c in children), children
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    rows = read_rows(out)
    assert rows[-1]["event"] == "run_finished" and rows[-1]["cancelled"] is True
    assert sum(r["event"] == "sample_recorded" for r in rows) >= 3
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive


def test_the_cli_runs_exactly_the_plan_it_is_given(fake, tmp_path: Path) -> None:
    plan = make_plan(["fake"], ["nop"], iterations={"nop": 2}, modes=["warm"], warmup=3,
                     options=RunOptions(timeout_s=7.5), origin="re-run of fake/nop/warm")
    out = tmp_path / "r.jsonl"
    proc = subprocess.run([sys.executable, "-m", "faasbench", "run", "--plan", "-", "--json",
                           "--out", str(out)], input=plan.to_json(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    planned = read_rows(out)[0]
    assert planned["event"] == RunPlanned.name
    assert Plan.from_dict(planned["plan"]) == plan
    assert sum(r["event"] == "sample_recorded" for r in read_rows(out)) == 5


def test_a_fresh_worker_that_cannot_prepare_ends_the_cell_with_why(fake) -> None:
    """After a lost worker the next one prepares again; if that fails, the cell stops there,
    keeps its samples, and says why once."""
    fake({"prepare": {"cold": ["ok", "fail"]}, "invoke": ["slow", "slow", "crash"]})
    events = run_fake(iterations=5)
    assert [r.ok for r in samples(events)] == [True, True, False]
    errors = of(RunError, events)
    assert len(errors) == 1 and errors[0].message.startswith(
        "fake/nop/cold: preparing a fresh worker failed: RuntimeError: the fake runtime was "
        "told to fail preparing cold; the rest of the cell is skipped")
    finished = of(CellFinished, events)[0]
    assert finished.summary["ok"] == 2 and finished.error.startswith("preparing a fresh worker")
