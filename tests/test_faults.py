"""Guests that trap, exit non-zero, print the wrong output, hang or hit the memory cap.

Each fault is a real program compiled by the real toolchain and run by a real worker process
on every runtime; the sample must fail with the reason, and the worker must carry on.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from conftest import samples

from engine import references, toolchain
from engine.benchmarks import GUEST_DIR
from engine.plan import make_plan
from engine.runner import Run
from engine.runtimes.base import Job
from engine.verify import expected_from_bytes
from engine.worker_client import Worker

FAULTS = Path(__file__).parent / "fault_programs"
NBODY_1000 = expected_from_bytes(references.expected_output("nbody", 1000), "python")


@pytest.fixture(scope="module")
def fault_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    out = tmp_path_factory.mktemp("faults")
    flags = toolchain.BuildFlags()
    builds = {}
    for source in FAULTS.glob("*.c"):
        for target in ("wasm", "native"):
            path = out / f"{source.stem}.{target}"
            toolchain.compile_c(source, path, flags.for_target(target))
            builds[(source.stem, target)] = path
    return builds


def nbody_job(artifact: Path, tmp_path: Path, mode: str = "cold", timeout_s: float = 30.0,
              **options: Any) -> Job:
    """A job that runs ``artifact`` as if it were nbody 1000 (its reference is the check)."""
    return Job(benchmark="nbody", artifact=str(artifact), argv=["nbody", "1000"],
               data_dir=str(tmp_path), guest_dir=GUEST_DIR, mode=mode, timeout_s=timeout_s,
               stdout_path="", stderr_path="", options=options)


def prepare(worker: Worker, runtime: str, job: Job) -> dict[str, Any]:
    return worker.request({"op": "prepare", "runtime": runtime, "job": asdict(job),
                           "expected": asdict(NBODY_1000)}, 120)


def invoke_once(runtime: str, artifact: Path, tmp_path: Path, mode: str = "cold",
                timeout_s: float = 30.0, **options: Any) -> dict[str, Any]:
    """Prepare a real worker and invoke twice: the worker must survive a failed sample."""
    worker = Worker(tmp_path / "worker.log")
    try:
        reply = prepare(worker, runtime, nbody_job(artifact, tmp_path, mode, timeout_s, **options))
        assert reply["ok"], reply
        first = worker.request({"op": "invoke"}, timeout_s + 30)
        second = worker.request({"op": "invoke"}, timeout_s + 30)
    finally:
        worker.close()
    assert first["ok"] == second["ok"], "the worker must behave the same after a failed sample"
    return first


def prepare_broken_wasm(runtime: str, tmp_path: Path) -> dict[str, Any]:
    """What a worker answers when asked to prepare a module that is not valid WebAssembly."""
    broken = tmp_path / "broken.wasm"
    broken.write_bytes(b"\0asm\x01\0\0\0garbage")
    worker = Worker(tmp_path / "worker.log")
    try:
        return prepare(worker, runtime, nbody_job(broken, tmp_path, timeout_s=10))
    finally:
        worker.close()


CASES = [("native", "cold"), ("wasmtime", "cold"), ("wasmtime", "warm")]


@pytest.mark.parametrize(("runtime", "mode"), CASES)
def test_trap_is_a_failed_sample(fault_builds, tmp_path, runtime, mode):
    target = "native" if runtime == "native" else "wasm"
    row = invoke_once(runtime, fault_builds[("trap", target)], tmp_path, mode)
    assert not row["ok"]
    assert ("SIGILL" in row["error"]) if runtime == "native" else ("trap" in row["error"])


@pytest.mark.parametrize(("runtime", "mode"), CASES)
def test_nonzero_exit_reports_code_and_stderr(fault_builds, tmp_path, runtime, mode):
    target = "native" if runtime == "native" else "wasm"
    row = invoke_once(runtime, fault_builds[("exit3", target)], tmp_path, mode)
    assert not row["ok"]
    assert row["exit_code"] == 3
    assert "exit code 3" in row["error"] and "bad input" in row["error"]


@pytest.mark.parametrize(("runtime", "mode"), CASES)
def test_wrong_output_names_the_line(fault_builds, tmp_path, runtime, mode):
    target = "native" if runtime == "native" else "wasm"
    row = invoke_once(runtime, fault_builds[("wrong", target)], tmp_path, mode)
    assert not row["ok"]
    assert row["error"].startswith("output mismatch at line 2")


@pytest.mark.parametrize(("runtime", "mode"), CASES)
def test_timeout_kills_the_guest(fault_builds, tmp_path, runtime, mode):
    target = "native" if runtime == "native" else "wasm"
    row = invoke_once(runtime, fault_builds[("spin", target)], tmp_path, mode, timeout_s=1.0)
    assert not row["ok"]
    assert "timed out" in row["error"]


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_wasm_memory_cap_makes_malloc_fail(fault_builds, tmp_path, mode):
    row = invoke_once("wasmtime", fault_builds[("grow", "wasm")], tmp_path, mode,
                      wasm_memory_bytes=16 << 20)
    assert not row["ok"]
    assert row["exit_code"] == 4
    assert row["guest_memory_bytes"] <= 16 << 20


def test_broken_wasm_fails_every_sample_with_reason(tmp_path):
    reply = prepare_broken_wasm("wasmtime", tmp_path)
    assert not reply["ok"]
    assert "WasmtimeError" in reply["error"] or "failed" in reply["error"]


def test_killed_worker_costs_one_sample(built):
    """Kill the worker (a real crash) mid-iteration: that sample fails, the next one runs."""
    run = Run(make_plan(["native"], ["nbody"], iterations=3, sizes={"nbody": 20_000_000}))
    killed = threading.Event()

    def kill_first_worker() -> None:
        while not killed.is_set():
            worker = run._worker
            if worker is not None:
                time.sleep(0.3)
                worker.proc.kill()
                killed.set()
            time.sleep(0.01)

    threading.Thread(target=kill_first_worker, daemon=True).start()
    events = list(run.events())
    rows = samples(events)
    assert len(rows) == 3
    assert not rows[0].ok and "worker process died" in rows[0].error
    assert all(r.ok for r in rows[1:])
