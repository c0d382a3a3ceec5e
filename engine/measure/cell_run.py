"""One cell's life: prepare → measure → finish.

Prepare starts a worker and has it find the reference and load the runtime; if that fails the
cell fails once, with its reason, as one ``RunError`` and a ``CellFinished`` carrying it, and
no sample is claimed. Measure asks the worker for all remaining iterations at once; it streams
an answer per iteration, each due within the timeout plus the runtime's grace. A worker that
dies or hangs costs that sample only, and a fresh worker is prepared (outside any measurement)
for the rest. A runtime that finds what the cell needs gone (``Stopped``: its container removed
from outside the run, its engine dead) ends the cell there, keeping the samples before it.
Finish closes the worker, removes what the runtime left behind and summarises the samples.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Optional

from engine import paths, runtimes
from engine.measure import prepare
from engine.measure.measurements import Measured
from engine.measure.protocol import Failed, Invoke, Prepare, Prepared, Stopped
from engine.measure.worker_link import Worker, WorkerLost
from engine.runtimes.base import Invocation
from engine.spec.plan import Cell
from engine.store.events import (
    CellFinished,
    CellStarted,
    Event,
    RunError,
    SampleRecorded,
    cell_summary,
)

if TYPE_CHECKING:
    from engine.measure.run import Run

PREPARE_TIMEOUT_S = 600.0
"""Preparing may compute a reference, build an image or start a server; it is asked once."""


class PrepareFailed(RuntimeError):
    """The cell cannot run; the message says why."""


class CellRun:
    """Runs one cell of ``run`` and yields its events."""

    def __init__(self, run: Run, cell: Cell, version: str, builds: prepare.Builds) -> None:
        self.run, self.cell, self.version = run, cell, version
        self.artifact = builds.artifact(cell.runtime, cell.benchmark)
        self.runtime = runtimes.get(cell.runtime)
        self.samples: list[SampleRecorded] = []
        self.worker: Optional[Worker] = None
        self.identity = cell.identity()
        self.measure_seconds: Optional[float] = None
        self.measured_until: Optional[float] = None
        """When the last sample was sent by the worker (``time.monotonic``), or found lost."""
        self.stopped: Optional[Stopped] = None
        """The worker's word that the cell could not go on (its container or engine went)."""
        job = prepare.job(cell.runtime, cell.benchmark, cell.size, cell.mode, run.run_id,
                          run.plan.settings.options, self.artifact)
        self.request = Prepare(cell.runtime, job, builds.reference(cell.benchmark, cell.size))

    def events(self) -> Iterator[Event]:
        cell = self.cell
        error: Optional[str] = None
        started = time.monotonic()
        try:
            try:
                prepared = self._prepare()
            except PrepareFailed as exc:
                error = f"preparing failed: {exc}"
            else:
                yield self._started(prepared)
                error = yield from self._measure()
        finally:
            self._drop_worker()
            self.runtime.cleanup(self.run.run_id)
        cancelled = self.run.stopping
        if error is not None and not cancelled:
            rest = "the rest of the cell is skipped" if self.samples else "cell skipped"
            yield RunError(f"{cell.cell_id}: {error}; {rest}", runtime=cell.runtime,
                           benchmark=cell.benchmark, cell_id=cell.cell_id)
        yield CellFinished(**self.identity, summary=cell_summary(self.samples),
                           cancelled=cancelled, error=None if cancelled else error,
                           seconds=round(time.monotonic() - started, 4),
                           measure_seconds=self.measure_seconds)

    def _started(self, prepared: Prepared) -> CellStarted:
        cell, runtime = self.cell, self.runtime
        parts = (prepared.artifact_bytes, prepared.runtime_bytes)
        return CellStarted(
            **self.identity, runtime_version=self.version, iterations=cell.iterations,
            warmup=cell.warmup, artifact=str(self.artifact.path) if self.artifact else "",
            reference=prepared.reference, artifact_bytes=prepared.artifact_bytes,
            runtime_bytes=prepared.runtime_bytes,
            footprint_bytes=None if None in parts else sum(p for p in parts if p is not None),
            cold_process=runtime.cold_process if cell.mode == "cold" else None,
            note=runtime.mode_note(cell.mode))

    def _prepare(self) -> Prepared:
        """A fresh worker with the cell prepared in it; PrepareFailed says why not."""
        self.worker = Worker(paths.cache_dir() / "worker.log")
        self.run.set_worker(self.worker)
        try:
            reply = self.worker.request(self.request, PREPARE_TIMEOUT_S)
        except WorkerLost as exc:
            self._drop_worker()
            raise PrepareFailed(str(exc)) from None
        if not isinstance(reply, Prepared):
            self._drop_worker()
            raise PrepareFailed(reply.error if isinstance(reply, Failed) else
                                f"unexpected answer {type(reply).__name__}")
        return reply

    def _drop_worker(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        self.run.set_worker(None)

    def _measure(self) -> Generator[Event, None, Optional[str]]:
        """Yield the samples; return why the cell stopped short, if it did.

        The worker runs all remaining iterations on one request and streams them in batches,
        which ``Worker.receive`` hands out one per iteration; each must come within the
        timeout plus the runtime's grace. Measuring ends when the worker sent the last sample,
        however long recording the samples takes after that (a cancel keeps every sample the
        worker sent).
        """
        total = self.cell.warmup + self.cell.iterations
        deadline = self.run.plan.settings.options.timeout_s + self.runtime.reply_grace_s
        started = time.monotonic()
        try:
            return (yield from self._stream(total, deadline))
        finally:  # to the microsecond: per sample, the harness's share is microseconds
            ended = self.measured_until if self.measured_until is not None else time.monotonic()
            self.measure_seconds = round(ended - started, 6)

    def _stream(self, total: int, deadline: float) -> Generator[Event, None, Optional[str]]:
        """``_measure``'s loop: ask, receive, and start a fresh worker after a lost one."""
        done = 0
        while done < total and not self.run.stopping:
            if self.worker is None:  # the last one was lost: a fresh one, outside measuring
                try:
                    self._prepare()
                except PrepareFailed as exc:
                    return None if self.run.stopping else \
                        f"preparing a fresh worker failed: {exc}"
            assert self.worker is not None
            try:
                self.worker.send(Invoke(total - done))
                while done < total:
                    reply = self.worker.receive(deadline)
                    if isinstance(reply, Stopped):  # the samples before it are kept
                        self.stopped = reply
                        return f"iteration {done + 1} of {total}: {reply.error}"
                    if not isinstance(reply, Measured):
                        raise WorkerLost(reply.error if isinstance(reply, Failed)
                                         else f"unexpected answer {type(reply).__name__}")
                    self.measured_until = self.worker.sent
                    yield self._sample(done, reply.invocation, reply.ok)
                    done += 1
            except WorkerLost as exc:
                self._drop_worker()
                if self.run.stopping:
                    break
                self.measured_until = time.monotonic()
                yield self._sample(done, Invocation(wall_ns=0, exit_code=None, error=str(exc)),
                                   False)
                done += 1
        return None

    def _sample(self, iteration: int, inv: Invocation, ok: bool) -> SampleRecorded:
        sample = SampleRecorded(
            **self.identity, runtime_version=self.version, iteration=iteration,
            warmup=iteration < self.cell.warmup, wall_ns=inv.wall_ns, cpu_ns=inv.cpu_ns,
            peak_rss_bytes=inv.peak_rss_bytes, exit_code=inv.exit_code, ok=ok, error=inv.error,
            fuel=inv.fuel, guest_memory_bytes=inv.guest_memory_bytes, phases_ns=inv.phases_ns)
        self.samples.append(sample)
        self.run.tally.add(sample)
        return sample
