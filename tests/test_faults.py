"""Guests that trap, exit non-zero, print the wrong output, hang or hit the memory cap; a module
that is not WebAssembly; a worker that dies mid-sample.

Each fault is a real program compiled by the real toolchain and run by a real worker process
on a real runtime; the sample must fail with the reason, and the worker must carry on. The
helpers here are shared with test_wasmer.py, test_node.py, test_cli_runtimes.py and
test_docker.py, which run the same faults on their runtimes.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Optional

import psutil
import pytest
from conftest import samples

from engine import runtimes
from engine.build import toolchain
from engine.build.artifacts import Artifact
from engine.measure.cell_run import PREPARE_TIMEOUT_S, CellRun
from engine.measure.measurements import Measured
from engine.measure.prepare import Builds
from engine.measure.protocol import Failed, Invoke, Message, Prepare, Prepared
from engine.measure.run import Run
from engine.measure.worker_link import Worker
from engine.runtimes.base import Job
from engine.spec.benchmarks import GUEST_DIR
from engine.spec.options import RunOptions
from engine.spec.plan import make_plan
from engine.store.events import CellFinished, CellStarted, Event, RunError, SampleRecorded
from engine.terms import PHASES
from engine.verify.expected import ReferenceSpec

FAULTS = Path(__file__).parent / "fault_programs"
NBODY_1000 = ReferenceSpec("nbody", 1000, native_artifact=None, native_key="")
"""Every fault program runs as if it were nbody 1000: its Python reference is the check."""
BROKEN_WASM = b"\0asm\x01\0\0\0garbage"
"""A valid header followed by bytes that are no section: every engine must refuse it."""
_BUILDS: dict[tuple[str, str], Path] = {}


@pytest.fixture(scope="session", name="fault_builds")
def fault_builds_fixture(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """``fault_builds``: every program in fault_programs/ for both targets, by (name, target),
    compiled once per test session (other modules import this to use the fixture)."""
    if not _BUILDS:
        out = tmp_path_factory.mktemp("faults")
        flags = toolchain.BuildFlags()
        for source in sorted(FAULTS.glob("*.c")):
            for target in ("wasm", "native"):
                path = out / (f"{source.stem}.wasm" if target == "wasm" else source.stem)
                toolchain.compile_c(source, path, flags.for_target(target))
                _BUILDS[(source.stem, target)] = path
    return _BUILDS


def target_of(runtime: str) -> str:
    return runtimes.get(runtime).artifact_target or "native"


def fault_job(runtime: str, artifact: Path, host_dir: Path, mode: str = "cold",
              **options: Any) -> Job:
    """A job that runs ``artifact`` as if it were nbody 1000 (options default to a 30 s limit)."""
    return Job(benchmark="nbody", artifact=str(artifact), argv=["nbody", "1000"],
               host_dir=str(host_dir), guest_dir=GUEST_DIR, mode=mode,
               run_id=f"test-{uuid.uuid4().hex[:8]}",
               options=RunOptions(**{"timeout_s": 30.0, **options}))


def prepare(worker: Worker, runtime: str, job: Job) -> Message:
    """The worker's reply to preparing ``job``: Prepared, or Failed with the reason."""
    return worker.request(Prepare(runtime, job, NBODY_1000), PREPARE_TIMEOUT_S)


def invoke_once(runtime: str, artifact: Path, tmp_path: Path, mode: str = "cold",
                while_up: Optional[Callable[[Job], None]] = None, **options: Any) -> Measured:
    """Prepare a real worker, invoke twice and return the first measurement.

    The worker must survive a failed sample and behave the same the second time: same verdict,
    exit code and error. Every phase reported must be one ``engine.terms.PHASES`` names.
    ``while_up`` is called with the job after both invocations, before the worker is closed.
    """
    job = fault_job(runtime, artifact, tmp_path, mode, **options)
    deadline = job.options.timeout_s + runtimes.get(runtime).reply_grace_s
    worker = Worker(tmp_path / "worker.log")
    try:
        reply = prepare(worker, runtime, job)
        assert isinstance(reply, Prepared), reply
        assert reply.reference == "python reference implementation"
        first = worker.request(Invoke(), deadline)
        second = worker.request(Invoke(), deadline)
        if while_up is not None:
            while_up(job)
    finally:
        worker.close()
        runtimes.get(runtime).cleanup(job.run_id)
    assert isinstance(first, Measured) and isinstance(second, Measured), (first, second)
    one, two = first.invocation, second.invocation
    assert (second.ok, two.exit_code, two.error) == (first.ok, one.exit_code, one.error), \
        "the worker must behave the same after a failed sample"
    assert set(one.phases_ns) | set(two.phases_ns) <= set(PHASES)
    return first


def prepare_broken_wasm(runtime: str, tmp_path: Path, mode: str = "cold") -> Message:
    """What a worker answers when asked to prepare a module that is not valid WebAssembly."""
    broken = tmp_path / "broken.wasm"
    broken.write_bytes(BROKEN_WASM)
    worker = Worker(tmp_path / "worker.log")
    try:
        return prepare(worker, runtime, fault_job(runtime, broken, tmp_path, mode, timeout_s=10))
    finally:
        worker.close()


def run_cell(runtime: str, artifact: Path, mode: str = "cold", iterations: int = 2,
             **options: Any) -> list[Event]:
    """Every event of one real cell (nbody 1000 on ``runtime``, no warm-up) whose program is
    ``artifact``: the controller's own prepare → measure → finish, with its timeouts and its
    recovery from lost workers."""
    run = Run(make_plan([runtime], ["nbody"], sizes={"nbody": 1000}, iterations=iterations,
                        modes=[mode], warmup=0, options=RunOptions(**options)))
    program = Artifact("nbody", target_of(runtime), artifact, "fault")
    builds = Builds(run.plan.settings.flags, {("nbody", program.target): program})
    return list(CellRun(run, run.plan.cells[0], "test", builds).events())


def of(kind: type, events: list[Event]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def assert_broken_cell(runtime: str, tmp_path: Path, reason: str) -> None:
    """A cell whose module is not WebAssembly fails once, with ``reason``, and claims nothing."""
    broken = tmp_path / "broken.wasm"
    broken.write_bytes(BROKEN_WASM)
    events = run_cell(runtime, broken, iterations=3)
    errors = of(RunError, events)
    assert len(errors) == 1, errors
    assert errors[0].cell_id == f"{runtime}/nbody/cold"
    assert errors[0].message.startswith(f"{runtime}/nbody/cold: preparing failed: ")
    assert reason in errors[0].message and errors[0].message.endswith("; cell skipped")
    finished = of(CellFinished, events)
    assert len(finished) == 1 and not finished[0].cancelled
    assert finished[0].error is not None and reason in finished[0].error
    assert finished[0].summary["n"] == 0
    assert not of(SampleRecorded, events) and not of(CellStarted, events)


CASES = [("native", "cold"), ("native", "warm"), ("wasmtime", "cold"), ("wasmtime", "warm")]


def build_for(fault_builds: dict[tuple[str, str], Path], fault: str, runtime: str) -> Path:
    return fault_builds[(fault, target_of(runtime))]


@pytest.mark.parametrize(("runtime", "mode"), CASES)
def test_trap_is_a_failed_sample(fault_builds, tmp_path, runtime, mode):
    """A trap fails the sample with what trapped: SIGILL natively, wasm's unreachable."""
    row = invoke_once(runtime, build_for(fault_builds, "trap", runtime), tmp_path, mode)
    assert not row.ok and row.invocation.exit_code is None
    if runtime == "native":
        assert row.invocation.error == "killed by signal SIGILL"
    else:
        assert row.invocation.error == \
            "trap (TrapCode.UNREACHABLE): wasm trap: wasm `unreachable` instruction executed"


EVERY_WASM_HOST = CASES + [(runtime, mode) for runtime in ("wasmer", "node")
                           for mode in ("cold", "load", "warm")]
"""Exit codes and outputs are checked the same way whoever runs the guest (CI also runs the
wasmer cases under Python 3.9, for the legacy package: ``-k wasmer``)."""


@pytest.mark.parametrize(("runtime", "mode"), EVERY_WASM_HOST)
def test_nonzero_exit_reports_code_and_stderr(fault_builds, tmp_path, runtime, mode):
    """A non-zero exit is the sample's failure, with the code and the guest's stderr."""
    row = invoke_once(runtime, build_for(fault_builds, "exit3", runtime), tmp_path, mode)
    assert not row.ok
    assert row.invocation.exit_code == 3
    assert row.invocation.error == "exit code 3: bad input"


@pytest.mark.parametrize(("runtime", "mode"), EVERY_WASM_HOST)
def test_wrong_output_names_the_line(fault_builds, tmp_path, runtime, mode):
    """An exit 0 with the wrong output fails, naming the first differing line."""
    row = invoke_once(runtime, build_for(fault_builds, "wrong", runtime), tmp_path, mode)
    assert not row.ok and row.invocation.exit_code == 0
    assert row.invocation.error.startswith(
        "output mismatch at line 2: expected '-0.169087605', got '-0.169087600'")


@pytest.mark.parametrize(("runtime", "mode"), EVERY_WASM_HOST)
def test_short_output_says_how_short(fault_builds, tmp_path, runtime, mode):
    """An output shorter than the reference fails on its size (a host that holds the output
    open knows it without opening the file) and says what is missing."""
    row = invoke_once(runtime, build_for(fault_builds, "short", runtime), tmp_path, mode)
    assert not row.ok and row.invocation.exit_code == 0
    assert row.invocation.error == "output mismatch: expected 2 lines, got 1 (last: '-0.169075164')"


@pytest.mark.parametrize(("runtime", "mode"), [c for c in CASES if c != ("wasmtime", "warm")])
def test_timeout_stops_the_guest(fault_builds, tmp_path, runtime, mode):
    """A guest past the timeout is stopped by the runtime itself, and the sample says so."""
    row = invoke_once(runtime, build_for(fault_builds, "spin", runtime), tmp_path, mode,
                      timeout_s=1.0)
    assert not row.ok and row.invocation.exit_code is None
    assert row.invocation.error.startswith("timed out (")


@pytest.mark.parametrize("mode", ["load", "warm"])
def test_an_in_process_guest_past_the_timeout_costs_its_worker(fault_builds, mode):
    """wasmtime runs guests without epoch checks (they slow generated code): past the timeout
    the controller kills the worker, the sample says it timed out, and the next one runs in a
    fresh worker."""
    events = run_cell("wasmtime", fault_builds[("spin", "wasm")], mode, timeout_s=1.0)
    rows = samples(events)
    assert [r.ok for r in rows] == [False, False]
    assert all(r.error.startswith("timed out: no answer within 3 s, the worker was killed")
               for r in rows)
    assert not of(RunError, events) and of(CellFinished, events)[0].error is None


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_wasm_memory_cap_makes_malloc_fail(fault_builds, tmp_path, mode):
    """wasmtime's memory cap is a store limit: malloc returns NULL and the guest says so."""
    row = invoke_once("wasmtime", fault_builds[("grow", "wasm")], tmp_path, mode,
                      wasm_memory_bytes=16 << 20)
    assert not row.ok
    assert row.invocation.exit_code == 4 and row.invocation.error == "exit code 4"
    assert 8 << 20 < row.invocation.guest_memory_bytes <= 16 << 20


def test_broken_wasm_fails_to_prepare_with_wasmtimes_reason(tmp_path):
    """wasmtime's own words for bytes that are not a module reach the controller."""
    reply = prepare_broken_wasm("wasmtime", tmp_path)
    assert isinstance(reply, Failed), reply
    assert reply.error.startswith("WasmtimeError: failed to parse WebAssembly module")
    assert "unexpected end-of-file (at offset 0xa)" in reply.error


def test_a_failed_prepare_says_why_in_one_line(tmp_path):
    """protocol.Failed: the error says why, in one line (it becomes a RunError message)."""
    reply = prepare_broken_wasm("wasmtime", tmp_path)
    assert isinstance(reply, Failed) and "\n" not in reply.error.strip(), reply


def test_broken_wasm_fails_the_cell_once_without_samples(tmp_path):
    """Through the controller: one RunError with the reason, an errored CellFinished, and no
    sample claimed (the prepare is not retried per iteration)."""
    assert_broken_cell("wasmtime", tmp_path, "unexpected end-of-file (at offset 0xa)")


def guest_of(artifact: Path, timeout_s: float = 60) -> psutil.Process:
    """The running process of ``artifact`` among this process's descendants (the guest is a
    child of the launcher, itself a child of the worker); waits until there is one."""
    wanted = os.path.realpath(artifact)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for proc in psutil.Process().children(recursive=True):
            try:
                if proc.exe() == wanted:
                    return proc
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        time.sleep(0.005)
    raise AssertionError(f"no process of {artifact} appeared within {timeout_s} s")


def test_killed_worker_costs_one_sample(built):
    """SIGKILL the worker while its guest runs: that sample fails as a dead worker, the
    guest dies with it, and a fresh worker runs the next iterations."""
    # 20 M steps run for over a second: the watcher finds the first measured guest.
    run = Run(make_plan(["native"], ["nbody"], iterations=3, sizes={"nbody": 20_000_000}))
    killed: dict[str, Any] = {}

    def kill_the_worker_of_the_first_guest(program: Path) -> None:
        guest = guest_of(program)
        worker = next(p for p in guest.parents() if p.ppid() == os.getpid())
        killed["worker"] = " ".join(worker.cmdline())
        killed["guest"] = guest
        os.kill(worker.pid, signal.SIGKILL)

    events: list[Event] = []
    for event in run.events():
        events.append(event)
        if isinstance(event, CellStarted):  # prepared: the next guest is a measured one
            threading.Thread(target=kill_the_worker_of_the_first_guest,
                             args=(Path(event.artifact),), daemon=True).start()
    assert "engine.measure.worker" in killed["worker"]
    killed["guest"].wait(10)
    assert not killed["guest"].is_running(), "the guest dies with its worker"
    rows = samples(events)
    assert len(rows) == 3
    assert not rows[0].ok and rows[0].error == "worker process died (signal SIGKILL)"
    assert all(r.ok for r in rows[1:]), [r.error for r in rows]
    assert not of(RunError, events), "a lost worker costs the sample, not the cell"
