"""Warm and load wasmtime requests, for real: each request is a fresh instance with fresh memory
and WASI state, its output alone in the output files, within the memory cap and counting fuel;
a guest past the timeout costs its sample and the next one is fine. Every ``Tuning`` of the
host (the switches its ablation turns off) serves exactly the same results."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from test_faults import (  # noqa: F401  (fault_builds_fixture: the fixture fault_builds)
    fault_builds_fixture,
    fault_job,
    invoke_once,
    of,
    run_cell,
)

from engine.build import datafiles
from engine.build.artifacts import Artifact
from engine.errors import one_line
from engine.measure.cell_run import PREPARE_TIMEOUT_S, CellRun
from engine.measure.measurements import Measurements
from engine.measure.prepare import Builds
from engine.measure.protocol import Invoke, Prepare, Prepared
from engine.measure.run import Run
from engine.measure.worker import FLUSH_AFTER_NS
from engine.measure.worker_link import Worker
from engine.runtimes.base import Invocation
from engine.runtimes.wasmtime import loop as wasmtime_loop
from engine.runtimes.wasmtime.ablation import CONFIGURATIONS, measure, runtime_with
from engine.runtimes.wasmtime.lean import LeanRequests
from engine.runtimes.wasmtime.runtime import Tuning, WasmtimeEmbedder
from engine.serial import replace
from engine.spec.benchmarks import BENCHMARKS
from engine.spec.options import RunOptions
from engine.spec.plan import make_plan
from engine.store.events import CellFinished, RunError, SampleRecorded
from engine.verify.expected import ReferenceSpec

MODES = ["warm", "load"]
DEFAULT = Tuning()
TUNED = [Tuning(instance_pre=False, pooling=False, calls="objects"),
         Tuning(calls="objects"), Tuning(memory_init_cow=False), Tuning(pooling=False),
         Tuning(calls="typed"), Tuning(calls="untyped")]
"""Switches off, as the ablation turns them off (the first is the plain wasmtime-py path)."""


class InProcess:
    """A wasmtime runtime in this process (no worker), for looking at its output files."""

    def __init__(self, artifact: Path, tmp: Path, mode: str, tuning: Tuning = DEFAULT,
                 **options: Any) -> None:
        self.data = tmp / "data"
        self.data.mkdir(parents=True)
        job = fault_job("wasmtime", artifact, self.data, mode, **options)
        self.job = replace(job, stdout_path=str(tmp / "stdout"), stderr_path=str(tmp / "stderr"))
        self.runtime = runtime_with(tuning, self.job)

    def invoke(self) -> tuple[Invocation, bytes, bytes]:
        inv = self.runtime.invoke()
        return inv, Path(self.job.stdout_path).read_bytes(), Path(self.job.stderr_path).read_bytes()

    def close(self) -> None:
        self.runtime.close()


@pytest.mark.parametrize("mode", MODES)
def test_each_request_is_a_fresh_instance(fault_builds, mode):
    """A guest that counts its runs in static memory and dirties static data and heap prints
    the reference only from a fresh instance: every sample is ok, with the same memory."""
    events = run_cell("wasmtime", fault_builds[("fresh", "wasm")], mode, iterations=6)
    rows = of(SampleRecorded, events)
    assert [(r.ok, r.error) for r in rows] == [(True, None)] * 6
    assert len({r.guest_memory_bytes for r in rows}) == 1


@pytest.mark.parametrize("mode", MODES)
def test_outputs_hold_one_request_each(fault_builds, tmp_path, mode):
    """A long output, then a short one, a failure and a success again: after each request the
    files hold exactly what that request wrote, on stdout and on stderr."""
    host = InProcess(fault_builds[("say", "wasm")], tmp_path, mode)
    say = host.data / "say"
    try:
        for text in (b"x" * 100_000 + b"\n", b"short\n", None, b"again\n"):
            if text is None:
                say.unlink()
                inv, out, err = host.invoke()
                assert (inv.exit_code, out, err) == (2, b"", b"no say file\n")
                continue
            say.write_bytes(text)
            inv, out, err = host.invoke()
            assert (inv.exit_code, inv.error) == (0, None)
            assert out == text and err == b"%d\n" % len(text)
    finally:
        host.close()


def test_the_loop_serves_silent_requests_back_to_back(fault_builds, tmp_path):
    """Warm requests that exit 0 and print nothing, when the reference is empty, are served
    back to back by the C loop; any other request (it printed, it failed, or the reference is
    not empty) ends the run and leaves its own output in the files for the worker's check, as
    does the end of the time budget."""
    host = InProcess(fault_builds[("say", "wasm")], tmp_path, "warm")
    say, serve = host.data / "say", host.runtime.serve_many
    say.write_bytes(b"")
    stderr = Path(host.job.stderr_path)
    try:
        served = serve(40, 10**12, silent=True)
        assert served is not None and served.count == 40
        assert (served.last.exit_code, served.last.error) == (0, None)
        clean = served.clean
        assert set(clean["phases_ns"]) == {"instantiate", "execute", "teardown"}
        for column in (clean["wall_ns"], clean["cpu_ns"], *clean["phases_ns"].values()):
            assert len(column) == 39 and min(column) > 0
        assert stderr.read_bytes() == b"0\n"  # the last request's, not forty
        assert serve(40, 0, silent=True).count == 1  # the budget is spent at once
        assert serve(40, 10**12, silent=False).count == 1  # a reference to check each against
        say.write_bytes(b"hello\n")
        served = serve(40, 10**12, silent=True)
        assert served.count == 1 and served.last.exit_code == 0
        assert Path(host.job.stdout_path).read_bytes() == b"hello\n"
        say.unlink()
        served = serve(40, 10**12, silent=True)
        assert served.count == 1 and served.last.exit_code == 2
        assert stderr.read_bytes() == b"no say file\n"
    finally:
        host.close()


def test_a_run_of_requests_shares_its_cpu_time_evenly(fault_builds, tmp_path):
    """The loop reads the thread's CPU clock once per run, not per request: the requests of a
    run carry equal shares of it (to the nanosecond), which add up to no more than the CPU
    time the call took; a request alone in its run carries its own."""
    host = InProcess(fault_builds[("say", "wasm")], tmp_path, "warm")
    (host.data / "say").write_bytes(b"")
    try:
        before = time.thread_time_ns()
        served = host.runtime.serve_many(300, 10**12, silent=True)
        spent = time.thread_time_ns() - before
        assert served is not None and served.count == 300
        shares = [*served.clean["cpu_ns"], served.last.cpu_ns]
        assert max(shares) - min(shares) <= 1 and min(shares) > 0
        assert sum(shares) <= spent
        alone = host.runtime.serve_many(5, 10**12, silent=False)
        assert alone.count == 1 and 0 < alone.last.cpu_ns <= alone.last.wall_ns * 2
    finally:
        host.close()


def test_a_failing_preopen_fails_the_request_in_the_loop_as_in_python(fault_builds, tmp_path):
    """The data directory gone between requests: the loop's request fails with the reason the
    Python calls give, and its files are left for the check."""
    errors = []
    for which, tuning in (("loop", DEFAULT), ("python", Tuning(calls="untyped"))):
        host = InProcess(fault_builds[("say", "wasm")], tmp_path / which, "warm", tuning)
        (host.data / "say").write_bytes(b"")
        try:
            assert host.invoke()[0].exit_code == 0
            shutil.rmtree(host.data)
            try:
                inv = host.invoke()[0]
                errors.append((inv.exit_code, inv.error))
            except Exception as exc:  # the Python calls raise; the worker records it so
                errors.append((None, one_line(exc)))
        finally:
            host.close()
    (loop_exit, loop), (_, python) = errors
    assert loop_exit is None and loop == f"WasmtimeError: cannot preopen {tmp_path}/loop/data"
    assert python == f"WasmtimeError: cannot preopen {tmp_path}/python/data"


def test_a_cold_process_makes_its_one_request_from_python(fault_builds, tmp_path,
                                                          monkeypatch):
    """A cold sample's fresh process serves one request: it makes the calls from Python and
    never looks for the loop's library (finding it would add to every cold start). The loop
    is made to refuse being looked for; the request still runs, its output checked."""
    def no_loop() -> None:
        raise AssertionError("the cold path looked for the loop's library")

    monkeypatch.setattr(wasmtime_loop, "library", no_loop)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "say").write_text("cold\n")
    job = fault_job("wasmtime", fault_builds[("say", "wasm")], tmp_path / "data", "cold")
    job = replace(job, stdout_path=str(tmp_path / "out"), stderr_path=str(tmp_path / "err"))
    embedder = WasmtimeEmbedder(job)
    embedder.start()
    try:
        embedder.load()
        inv = embedder.run()
        assert type(embedder.requests) is LeanRequests
    finally:
        embedder.close()
    assert (inv.exit_code, inv.error) == (0, None)
    assert (tmp_path / "out").read_text() == "cold\n"
    warm = WasmtimeEmbedder(replace(job, mode="warm"))
    with pytest.raises(AssertionError, match="looked for the loop"):
        warm.start()  # a warm server does look for it: the stand-in is in the way


def test_a_wasmtime_with_other_signatures_is_refused(fault_builds, tmp_path, monkeypatch):
    """The loop calls the C API with the signatures of the pinned wasmtime-py; one whose
    functions take other arguments is refused with the reason, not called wrongly. A stand-in
    for the other version (none can be installed beside the pinned one): the loop is told it
    passes what a newer wasi_config_preopen_dir takes (two permission words, six in all)."""
    import wasmtime

    wasmtime_loop.check_api(wasmtime._ffi.dll, wasmtime)  # the pinned one is accepted
    monkeypatch.setitem(wasmtime_loop.ARITY, "wasi_config_preopen_dir", 6)
    with pytest.raises(wasmtime.WasmtimeError, match="wasi_config_preopen_dir takes 4 arguments "
                       "and faasbench's request loop passes 6"):
        InProcess(fault_builds[("say", "wasm")], tmp_path, "warm")


def test_the_loop_serves_at_least_one_request(fault_builds, tmp_path):
    host = InProcess(fault_builds[("say", "wasm")], tmp_path, "warm")
    try:
        with pytest.raises(ValueError, match="at least one request, not 0"):
            host.runtime.embedder.requests.serve(0, 10**9, silent=True)
    finally:
        host.close()


def test_load_requests_are_served_one_at_a_time(fault_builds, tmp_path):
    """Each load iteration loads the module first: none is served by the loop's batches."""
    host = InProcess(fault_builds[("say", "wasm")], tmp_path, "load")
    try:
        assert host.runtime.serve_many(40, 10**12, silent=True) is None
    finally:
        host.close()


@pytest.mark.parametrize("mode", MODES)
def test_memory_cap_makes_malloc_fail(fault_builds, tmp_path, mode):
    row = invoke_once("wasmtime", fault_builds[("grow", "wasm")], tmp_path, mode,
                      wasm_memory_bytes=16 << 20)
    assert not row.ok
    assert row.invocation.exit_code == 4 and row.invocation.error == "exit code 4"
    assert 8 << 20 < row.invocation.guest_memory_bytes <= 16 << 20


@pytest.mark.parametrize("mode", MODES)
def test_memory_cap_below_the_initial_memory_fails_each_request(fault_builds, tmp_path, mode):
    """The cap is the store's limit: a module that needs more memory to start fails its
    requests, each with the reason, and the worker goes on."""
    row = invoke_once("wasmtime", fault_builds[("fresh", "wasm")], tmp_path, mode,
                      wasm_memory_bytes=1 << 20)
    assert not row.ok and row.invocation.exit_code is None
    assert row.invocation.error.startswith("instantiation failed: memory minimum size of ")


@pytest.mark.parametrize("mode", MODES)
def test_fuel_is_counted_the_same_per_request(fault_builds, mode):
    events = run_cell("wasmtime", fault_builds[("fresh", "wasm")], mode, iterations=3, fuel=True)
    rows = of(SampleRecorded, events)
    assert all(r.ok for r in rows), [r.error for r in rows]
    fuels = {r.fuel for r in rows}
    assert len(fuels) == 1 and next(iter(fuels)) > 1000


@pytest.mark.parametrize("mode", MODES)
def test_spinning_guest_times_out_and_the_next_sample_is_ok(fault_builds, tmp_path,
                                                            monkeypatch, mode):
    """Through the controller: a guest that spins while its data directory holds ``spin``
    times out (the worker is killed, as wasmtime runs no epoch checks); once the file is gone,
    the fresh worker's next sample is ok and the cell finishes without error."""
    monkeypatch.setenv("FAASBENCH_CACHE_DIR", str(tmp_path / "cache"))  # a data dir of our own
    marker = datafiles.ensure_input("nbody", 1000) / "spin"
    marker.touch()
    run = Run(make_plan(["wasmtime"], ["nbody"], sizes={"nbody": 1000}, iterations=2,
                        modes=[mode], warmup=0, options=RunOptions(timeout_s=1.0)))
    program = Artifact("nbody", "wasm", fault_builds[("spin_while", "wasm")], "fault")
    events = []
    builds = Builds(run.plan.settings.flags, {("nbody", "wasm"): program})
    for event in CellRun(run, run.plan.cells[0], "test", builds).events():
        events.append(event)
        if isinstance(event, SampleRecorded):
            marker.unlink(missing_ok=True)
    rows = of(SampleRecorded, events)
    assert [r.ok for r in rows] == [False, True], [r.error for r in rows]
    assert rows[0].error == "timed out: no answer within 3 s, the worker was killed"
    finished = of(CellFinished, events)
    assert len(finished) == 1 and finished[0].error is None and finished[0].summary["n"] == 1
    assert not of(RunError, events)


@pytest.mark.parametrize("tuning", TUNED, ids=lambda t: "-".join(
    [t.calls, *(name for name, on in vars(t).items() if on is False)]))
@pytest.mark.parametrize("mode", MODES)
def test_every_tuning_serves_the_same(fault_builds, tmp_path, tuning, mode):
    """Exit code, error, outputs, memory and fuel are the default's, whatever is turned off;
    only without copy-on-write may instantiation itself burn fuel (copying data segments in)."""
    for program in ("fresh", "trap", "exit3", "grow", "wrong"):
        results = []
        for which, setting in (("default", DEFAULT), ("tuned", tuning)):
            host = InProcess(fault_builds[(program, "wasm")], tmp_path / program / which, mode,
                             setting, wasm_memory_bytes=16 << 20, fuel=True)
            try:
                runs = [host.invoke() for _ in range(2)]
            finally:
                host.close()
            results.append([(inv.exit_code, inv.error, out, err, inv.guest_memory_bytes,
                             inv.fuel) for inv, out, err in runs])
        default, tuned = results
        assert default[0] == default[1], f"{program}: the second request is the first's"
        assert [r[:5] for r in tuned] == [r[:5] for r in default], program
        fuel, tuned_fuel = default[0][5], tuned[0][5]
        assert tuned_fuel == fuel if tuning.memory_init_cow else tuned_fuel >= fuel, program


def test_the_ablation_measures_every_configuration(built) -> None:
    """``python -m engine.runtimes.wasmtime.ablation`` (the closing note's table) runs every
    configuration's requests, each one ok (a failed request stops it)."""
    walls = measure(rounds=2, batch=3)
    assert set(walls) == set(CONFIGURATIONS)
    assert all(len(w) == 6 and all(ns > 0 for ns in w) for w in walls.values())


@pytest.mark.parametrize("benchmark,size", [("nop", 0), ("nbody", 10)])
def test_iterations_stream_in_batches_each_carrying_its_windows_peak(built, tmp_path, benchmark,
                                                                     size) -> None:
    """The worker answers one Invoke with batches of iterations (``Measurements``), every one
    of them, in order, and ok; every sample of a batch carries the batch's peak RSS, a real
    one. A program that prints (each of its outputs checked on its own) is batched too."""
    count = 3000
    program = next(a for a in built if a.benchmark == benchmark and a.target == "wasm")
    job = replace(fault_job("wasmtime", program.path, tmp_path, "warm"), benchmark=benchmark,
                  argv=[benchmark, *BENCHMARKS[benchmark].guest_args(size)])
    worker = Worker(tmp_path / "worker.log")
    try:
        prepared = worker.request(Prepare("wasmtime", job,
                                          ReferenceSpec(benchmark, size, None, "")),
                                  PREPARE_TIMEOUT_S)
        assert isinstance(prepared, Prepared), prepared
        worker.send(Invoke(count))
        batches: list[Measurements] = []
        while sum(b.n for b in batches) < count:
            reply = worker._read(PREPARE_TIMEOUT_S)  # whole batches (receive splits them)
            assert isinstance(reply, Measurements), reply
            batches.append(reply)
    finally:
        worker.close()
    items = [m for b in batches for m in b.items()]
    assert len(batches) > 1, f"{count} warm requests take longer than one batch of " \
        f"{FLUSH_AFTER_NS / 1e6:.0f} ms"
    assert len(batches) < count / 10, "requests are batched, not sent one by one"
    assert len(items) == count and all(m.ok for m in items), items[0]
    for batch in batches:
        peaks = {m.invocation.peak_rss_bytes for m in batch.items()}
        assert len(peaks) == 1 and (peaks.pop() or 0) > 1 << 20, batch
