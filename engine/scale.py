"""``Scale``: how many warm instances fit on this host, and what a burst of requests costs.

Order of events: ScalePlanned (the spec and the environment record), ArtifactBuilt per
program, then per runtime ScaleStep per step (``engine.density``), ScaleLimit if the memory
budget stops it, BurstProgress and BurstFinished (``engine.burst``), RunError whenever
something needs the user's attention; ScaleFinished last, also after a cancel. Each runtime's
pool is torn down before the next one starts, and everything is torn down whatever happens:
the pool's ``close``, then a sweep of the run's containers by label.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Optional

from . import artifacts, benchmarks, datafiles, environment, runtimes, toolchain
from .benchmarks import GUEST_DIR
from .burst import Function, burst
from .density import step_up
from .events import Event, RunError, ScaleFinished, ScalePlanned
from .protocol import ReferenceSpec
from .references import PYTHON_REFERENCE_LIMITS
from .runner import probe_runtime, unavailable_errors
from .runtimes.base import Availability, Job
from .scale_host import allow_open_files
from .scale_pools import Pool, PoolError, make_pool, sweep
from .scale_spec import ScaleSpec
from .verify import reference_for


def default_budget() -> int:
    """A quarter of the machine's memory."""
    import psutil

    return psutil.virtual_memory().total // 4


class Scale:
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
        probes = {name: probe_runtime(name, spec.flags.profile) for name in spec.runtimes}
        env = environment.describe({n: a.version for n, a in probes.items() if a.ok},
                                   {"zig": toolchain.zig_version(), **spec.flags.describe()})
        yield ScalePlanned(self.run_id, {**spec.to_dict(), "memory_budget_bytes": self.budget},
                           env)
        try:
            yield from self._all(probes)
        finally:
            self.close()
        yield ScaleFinished(self.run_id, self.cancelled, round(time.monotonic() - started, 3))

    def _all(self, probes: dict[str, Availability]) -> Iterator[Event]:
        spec = self.spec
        yield from unavailable_errors(probes, "skipped")
        ready = [n for n in spec.runtimes if probes[n].ok]
        targets = {runtimes.get(n).artifact_target or "native" for n in ready}
        if spec.bench_size > PYTHON_REFERENCE_LIMITS[spec.benchmark]:
            targets.add("native")  # the reference for this size
        built = {}
        try:
            for event in artifacts.build_all([spec.benchmark], sorted(targets), spec.flags):
                built[event.target] = artifacts.artifact_for(spec.benchmark, event.target,
                                                             spec.flags)
                yield event
        except toolchain.ToolchainError as exc:
            yield RunError(f"cannot build {spec.benchmark}: {exc}", benchmark=spec.benchmark)
            return
        native = built.get("native")
        datafiles.ensure_input(spec.benchmark, spec.bench_size)
        expected = reference_for(ReferenceSpec(spec.benchmark, spec.bench_size,
                                               str(native.path) if native else None,
                                               native.key if native else ""),
                                 spec.options.timeout_s)
        for name in ready:
            if self.cancelled:
                break
            artifact = built[runtimes.get(name).artifact_target or "native"]
            yield from self._one(name, Function(self._job(artifact.path), expected))

    def _job(self, artifact: Path) -> Job:
        spec = self.spec
        host_dir = str(datafiles.benchmark_dir(spec.benchmark, spec.bench_size))
        argv = [spec.benchmark, *benchmarks.BENCHMARKS[spec.benchmark].guest_args(
            spec.bench_size, GUEST_DIR)]
        return Job(benchmark=spec.benchmark, artifact=str(artifact), argv=argv,
                   host_dir=host_dir, guest_dir=GUEST_DIR, mode="warm", run_id=self.run_id,
                   options=spec.options)

    def _one(self, runtime: str, function: Function) -> Iterator[Event]:
        """One runtime: step up, burst, tear down."""
        spec = self.spec
        scratch = Path(tempfile.mkdtemp(prefix=f"faasbench-scale-{runtime}-"))
        job = replace(function.job, stdout_path=str(scratch / "stdout"),
                      stderr_path=str(scratch / "stderr"))
        function = Function(job, function.expected)
        pool = self._pool = make_pool(runtime, job, scratch, spec.concurrency)
        try:
            yield from step_up(pool, self.run_id, spec.benchmark, spec.instances, self.budget,
                               lambda: self.cancelled)
            if spec.requests and pool.size and not self.cancelled:
                yield from burst(pool, function, self.run_id, spec.benchmark, spec.requests,
                                 spec.concurrency, lambda: self.cancelled)
        except PoolError as exc:
            if not self.cancelled:
                yield RunError(f"{runtime}: {exc}; its scale run stopped there",
                               runtime=runtime, benchmark=spec.benchmark)
        finally:
            self._close_pool()
            shutil.rmtree(scratch, ignore_errors=True)
