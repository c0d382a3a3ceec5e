"""``Run``: executes a plan and yields events. The engine's single entry point for running.

Order of events: RunPlanned (with the environment record), ArtifactBuilt per program, then per
cell CellStarted, SampleRecorded per iteration, CellFinished; RunError whenever something needs
the user's attention; RunFinished last, also after a cancel.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

from . import artifacts, datafiles, environment, paths, runtimes, toolchain
from .benchmarks import BENCHMARKS, GUEST_DIR
from .events import (
    CellFinished,
    CellStarted,
    Event,
    RunError,
    RunFinished,
    RunPlanned,
    SampleRecorded,
)
from .plan import Cell, Plan
from .runtimes.base import Job
from .runtimes.process import spawn_and_wait
from .stats import summarize
from .verify import Expected, reference_for
from .worker_client import Worker, WorkerLost, pin_controller

PREPARE_TIMEOUT_S = 600.0
REPLY_GRACE_S = 60.0
"""How long past the guest timeout the controller waits before declaring the worker hung."""


class Run:
    """One execution of a plan. ``cancel``/``cancel_cell`` may be called from any thread."""

    def __init__(self, plan: Plan, run_id: Optional[str] = None) -> None:
        self.plan = plan
        self.run_id = run_id or uuid.uuid4().hex[:8]
        self._cancel_run = threading.Event()
        self._cancel_cell = threading.Event()
        self._worker: Optional[Worker] = None
        self._lock = threading.Lock()
        self.ok_samples = 0
        self.failed_samples = 0
        self.probes: dict[str, runtimes.Availability] = {}

    def cancel(self) -> None:
        """Stop the run: the current iteration is abandoned, everything measured is kept."""
        self._cancel_run.set()
        self._kill_worker()

    def cancel_cell(self) -> None:
        """Skip the rest of the current cell and go on with the next one."""
        self._cancel_cell.set()
        self._kill_worker()

    @property
    def cancelled(self) -> bool:
        return self._cancel_run.is_set()

    def _kill_worker(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.kill()

    def events(self) -> Iterator[Event]:
        started = time.monotonic()
        settings = self.plan.settings
        pin_controller()
        names = list(dict.fromkeys(c.runtime for c in self.plan.cells))
        probes = self.probes = {name: runtimes.probe(name) for name in names}
        env = environment.describe(
            {n: a.version for n, a in probes.items() if a.ok},
            {"zig": toolchain.zig_version(), **settings.flags.describe()},
        )
        yield RunPlanned(self.run_id, [asdict(c) | {"cell_id": c.cell_id} for c in self.plan.cells],
                         settings.describe(), env)
        cells = [cell for cell in self.plan.cells if probes[cell.runtime].ok]
        for name, probe in probes.items():
            if not probe.ok:
                yield RunError(f"runtime {name} unavailable: {probe.reason} — {probe.fix}; "
                               "its cells are skipped", runtime=name)
        no_warm = {c.runtime for c in cells
                   if c.mode == "warm" and not runtimes.get(c.runtime).supports_warm}
        for name in sorted(no_warm):
            yield RunError(f"runtime {name} has no warm mode (it keeps nothing up between "
                           "runs, so warm would be cold); its warm cells are skipped",
                           runtime=name)
        cells = [c for c in cells if not (c.mode == "warm" and c.runtime in no_warm)]
        built: dict[tuple[str, str], artifacts.Artifact] = {}
        yield from self._build(cells, built)
        for cell in cells:
            if self.cancelled:
                break
            target = runtimes.get(cell.runtime).artifact_target
            if (cell.benchmark, target) not in built or (cell.benchmark, "native") not in built:
                continue
            yield from self._run_cell(cell, built[(cell.benchmark, target)],
                                      built[(cell.benchmark, "native")])
        yield RunFinished(self.run_id, self.ok_samples, self.failed_samples, self.cancelled,
                          round(time.monotonic() - started, 3))

    def _build(self, cells: list[Cell],
               built: dict[tuple[str, str], artifacts.Artifact]) -> Iterator[Event]:
        """Build what the cells need, natives always: they are the reference of last resort."""
        flags = self.plan.settings.flags
        benches = list(dict.fromkeys(c.benchmark for c in cells))
        targets = list(dict.fromkeys(["native"] + [runtimes.get(c.runtime).artifact_target
                                                   for c in cells]))
        for bench in benches:
            try:
                for event in artifacts.build_all([bench], targets, flags):
                    built[(event.benchmark, event.target)] = artifacts.artifact_for(
                        event.benchmark, event.target, flags)
                    yield event
            except toolchain.ToolchainError as exc:
                yield RunError(f"cannot build {bench}: {exc}; its cells are skipped",
                               benchmark=bench)

    def _reference(self, cell: Cell, native: artifacts.Artifact) -> Expected:
        bench = BENCHMARKS[cell.benchmark]
        host_dir = datafiles.data_dir(cell.benchmark, cell.size)

        def run_native() -> bytes:
            with tempfile.TemporaryDirectory() as tmp:
                out, err = f"{tmp}/out", f"{tmp}/err"
                argv = [cell.benchmark, *bench.guest_args(cell.size, str(host_dir))]
                result = spawn_and_wait(str(native.path), argv, stdout_path=out, stderr_path=err,
                                        timeout_s=self.plan.settings.timeout_s)
                if result.failure():
                    raise RuntimeError(f"reference run of the native build failed: "
                                       f"{result.failure()}")
                return Path(out).read_bytes()

        return reference_for(cell.benchmark, cell.size,
                             datafiles.input_file(cell.benchmark, cell.size), run_native,
                             native.key)

    def _job(self, cell: Cell, artifact: artifacts.Artifact) -> Job:
        runtime = runtimes.get(cell.runtime)
        host_dir = str(datafiles.data_dir(cell.benchmark, cell.size))
        shown_dir = GUEST_DIR if runtime.maps_guest_dir else host_dir
        settings = self.plan.settings
        return Job(
            benchmark=cell.benchmark, artifact=str(artifact.path),
            argv=[cell.benchmark, *BENCHMARKS[cell.benchmark].guest_args(cell.size, shown_dir)],
            data_dir=host_dir, guest_dir=GUEST_DIR, mode=cell.mode, timeout_s=settings.timeout_s,
            stdout_path="", stderr_path="",
            options={"fuel": settings.fuel, "wasm_memory_bytes": settings.wasm_memory_bytes,
                     "run_id": self.run_id, "docker_base": settings.docker_base,
                     "container_memory_bytes": settings.container_memory_bytes,
                     "pids_limit": settings.pids_limit},
        )

    def _start_worker(self, cell: Cell, job: Job,
                      expected: Expected) -> tuple[Worker, Optional[int]]:
        """A fresh worker with the cell prepared; returns it and the runtime's footprint."""
        worker = Worker(paths.cache_dir() / "worker.log")
        with self._lock:
            self._worker = worker
        reply = worker.request({"op": "prepare", "runtime": cell.runtime, "job": asdict(job),
                                "expected": asdict(expected)}, PREPARE_TIMEOUT_S)
        if not reply.get("ok"):
            worker.close()
            raise WorkerLost(f"preparing failed: {reply.get('error')}")
        return worker, reply.get("footprint_bytes")

    def _run_cell(self, cell: Cell, artifact: artifacts.Artifact,
                  native: artifacts.Artifact) -> Iterator[Event]:
        self._cancel_cell.clear()
        version = self.probes[cell.runtime].version
        try:
            expected = self._reference(cell, native)
        except Exception as exc:  # no reference means no honest check: skip the cell
            yield RunError(f"{cell.cell_id}: no reference output: {exc}; cell skipped",
                           runtime=cell.runtime, benchmark=cell.benchmark, cell_id=cell.cell_id)
            return
        job = self._job(cell, artifact)
        samples: list[SampleRecorded] = []
        worker: Optional[Worker] = None
        footprint: Optional[int] = None
        try:
            try:
                worker, footprint = self._start_worker(cell, job, expected)
            except WorkerLost as exc:
                yield RunError(f"{cell.cell_id}: {exc}", runtime=cell.runtime,
                               benchmark=cell.benchmark, cell_id=cell.cell_id)
            yield CellStarted(cell.cell_id, cell.runtime, version, cell.benchmark, cell.size,
                              cell.mode, cell.iterations, cell.warmup, str(artifact.path),
                              artifact.size_bytes, expected.source, footprint)
            for iteration in range(cell.warmup + cell.iterations):
                if self._cancel_cell.is_set() or self.cancelled:
                    break
                row: dict[str, Any]
                try:
                    if worker is None:
                        worker, _ = self._start_worker(cell, job, expected)
                    row = worker.request({"op": "invoke"}, job.timeout_s + REPLY_GRACE_S)
                except WorkerLost as exc:
                    worker = None
                    if self._cancel_cell.is_set() or self.cancelled:
                        break
                    row = {"wall_ns": 0, "exit_code": None, "ok": False, "error": str(exc)}
                    yield RunError(f"{cell.cell_id} iteration {iteration}: {exc}",
                                   runtime=cell.runtime, benchmark=cell.benchmark,
                                   cell_id=cell.cell_id)
                sample = self._sample(cell, version, iteration, row)
                samples.append(sample)
                yield sample
        finally:
            if worker is not None:
                worker.close()
            with self._lock:
                self._worker = None
            runtimes.get(cell.runtime).cleanup(self.run_id)
        yield CellFinished(cell.cell_id, cell.runtime, cell.benchmark, cell.size, cell.mode,
                           cell_summary(samples),
                           cancelled=self._cancel_cell.is_set() or self.cancelled)

    def _sample(self, cell: Cell, version: str, iteration: int,
                row: dict[str, Any]) -> SampleRecorded:
        if row.get("ok"):
            self.ok_samples += 1
        else:
            self.failed_samples += 1
        return SampleRecorded(
            cell.cell_id, cell.runtime, version, cell.benchmark, cell.size, cell.mode, iteration,
            iteration < cell.warmup, row.get("wall_ns", 0), row.get("cpu_ns"),
            row.get("peak_rss_bytes"), row.get("exit_code"), bool(row.get("ok")),
            row.get("error"), row.get("fuel"), row.get("guest_memory_bytes"),
            row.get("phases_ns") or {},
        )


def cell_summary(samples: list[SampleRecorded]) -> dict[str, Any]:
    """Statistics over the measured ok samples' wall times (ns), with ok/failed counts."""
    measured = [s for s in samples if not s.warmup]
    ok = [s for s in measured if s.ok]
    rss = [s.peak_rss_bytes for s in ok if s.peak_rss_bytes is not None]
    return {**summarize(s.wall_ns for s in ok), "ok": len(ok),
            "failed": len(measured) - len(ok), "peak_rss_bytes_max": max(rss) if rss else None}
