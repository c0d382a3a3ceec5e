"""``ScaleRun``: how many warm instances fit on this machine, and what a burst of requests costs.

Order of events: ScalePlanned (the spec and the environment record), ArtifactBuilt per program
(``engine.measure.prepare``, as for a run), then per runtime ScaleStep per step (``density``),
ScaleLimit if the memory budget stops it, BurstProgress and BurstFinished (``burst``), RunError
whenever something needs the user's attention; ScaleFinished last, also after a cancel. Each
runtime's pool is torn down before the next one starts, and everything is torn down whatever
happens: the pool's ``close``, then a sweep of the run's containers by label.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

from engine import serial
from engine.build import datafiles
from engine.measure import prepare
from engine.runtimes.base import Availability
from engine.scale.burst import Function, burst
from engine.scale.density import step_up
from engine.scale.pool_server import allow_open_files
from engine.scale.pools import Pool, PoolError, make_pool, sweep
from engine.spec.scale_spec import ScaleSpec
from engine.store.events import Event, RunError, ScaleFinished, ScalePlanned
from engine.verify.expected import reference_for


def default_budget() -> int:
    """A quarter of the machine's memory."""
    import psutil

    return psutil.virtual_memory().total // 4


class ScaleRun:
    """One scale run. ``cancel`` may be called from any thread (a signal handler)."""

    def __init__(self, spec: ScaleSpec, run_id: Optional[str] = None) -> None:
        spec.check()
        self.spec = spec
        self.run_id = run_id or uuid.uuid4().hex[:8]
        self.budget = spec.memory_budget_bytes or default_budget()
        self._cancel = threading.Event()
        self._pool: Optional[Pool] = None

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def close(self) -> None:
        """Tear down whatever is up, and the containers of a pool an abort cut short while it
        was being made (``events`` does, when it ends or is closed)."""
        self._close_pool()
        if "docker" in self.spec.runtimes:
            sweep(self.run_id)

    def _close_pool(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def events(self) -> Iterator[Event]:
        started = time.monotonic()
        allow_open_files()
        spec = self.spec
        found = prepare.availabilities(spec.runtimes, spec.flags.profile)
        yield ScalePlanned(self.run_id, {**spec.to_dict(), "memory_budget_bytes": self.budget},
                           prepare.environment_record(found, spec.flags))
        try:
            yield from self._all(found)
        finally:
            self.close()
        yield ScaleFinished(self.run_id, self.cancelled, round(time.monotonic() - started, 3))

    def _all(self, found: dict[str, Availability]) -> Iterator[Event]:
        spec = self.spec
        bench, size = spec.benchmark, spec.bench_size
        yield from prepare.unavailable_errors(found, "skipped")
        ready = [n for n in spec.runtimes if found[n].ok]
        builds = yield from prepare.build(((n, bench, size) for n in ready), spec.flags)
        if any(builds.failed(n, bench) for n in ready):
            return  # the build failed, and said so
        datafiles.ensure_input(bench, size)
        expected = reference_for(builds.reference(bench, size), spec.options.timeout_s)
        for name in ready:
            if self.cancelled:
                break
            job = prepare.job(name, bench, size, "warm", self.run_id, spec.options,
                              builds.artifact(name, bench))
            yield from self._one(name, Function(job, expected))

    def _one(self, runtime: str, function: Function) -> Iterator[Event]:
        """One runtime: step up, burst, tear down."""
        spec = self.spec
        scratch = Path(tempfile.mkdtemp(prefix=f"faasbench-scale-{runtime}-"))
        job = serial.replace(function.job, stdout_path=str(scratch / "stdout"),
                             stderr_path=str(scratch / "stderr"))
        function = Function(job, function.expected)
        pool = self._pool = make_pool(runtime, job, scratch, spec.concurrency)
        try:
            yield from step_up(pool, self.run_id, spec.benchmark, spec.instances, self.budget,
                               lambda: self.cancelled)
            if spec.requests and pool.instances and not self.cancelled:
                yield from burst(pool, function, self.run_id, spec.benchmark, spec.requests,
                                 spec.concurrency, lambda: self.cancelled)
        except PoolError as exc:
            if not self.cancelled:
                yield RunError(f"{runtime}: {exc}; its scale run stopped there",
                               runtime=runtime, benchmark=spec.benchmark)
        finally:
            self._close_pool()
            shutil.rmtree(scratch, ignore_errors=True)
