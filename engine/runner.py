"""``Run``: executes a plan and yields events. The engine's single entry point for running.

Order of events: RunPlanned (the plan and the environment record), ArtifactBuilt per program,
then per cell (``engine.cell_run``) CellStarted, SampleRecorded per iteration, CellFinished;
RunError whenever something needs the user's attention; RunFinished last, also after a cancel.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Optional

from . import artifacts, environment, references, runtimes, toolchain
from .cell_run import CellRun
from .events import CellFinished, Event, RunError, RunFinished, RunPlanned, Tally
from .plan import Cell, Plan
from .runtimes.base import Availability
from .runtimes.simd import simd_problem
from .stats import cell_summary
from .worker_client import Worker, pin_controller

Built = dict[tuple[str, str], artifacts.Artifact]


class Run:
    """One execution of a plan. ``cancel``/``cancel_cell`` may be called from any thread."""

    def __init__(self, plan: Plan, run_id: Optional[str] = None,
                 probes: Optional[dict[str, Availability]] = None) -> None:
        self.plan = plan
        self.probes = probes
        """``probe_runtimes(plan)`` when the caller has it already; else probed when run."""
        self.run_id = run_id or uuid.uuid4().hex[:8]
        self.tally = Tally()
        self._cancel_run = threading.Event()
        self._cancel_cell = threading.Event()
        self._worker: Optional[Worker] = None
        self._lock = threading.Lock()

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

    @property
    def stopping(self) -> bool:
        """The current cell must end: the run or the cell was cancelled."""
        return self._cancel_run.is_set() or self._cancel_cell.is_set()

    def set_worker(self, worker: Optional[Worker]) -> None:
        """The worker a cancel must kill (None between workers)."""
        with self._lock:
            self._worker = worker
        if worker is not None and self.stopping:
            worker.kill()

    def _kill_worker(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._worker.kill()

    def events(self) -> Iterator[Event]:
        started = time.monotonic()
        settings = self.plan.settings
        pin_controller()
        probes = self.probes if self.probes is not None else probe_runtimes(self.plan)
        env = environment.describe(
            {n: a.version for n, a in probes.items() if a.ok},
            {"zig": toolchain.zig_version(), **settings.flags.describe()},
        )
        yield RunPlanned(self.run_id, self.plan.to_dict(), env)
        yield from unavailable_errors(probes, "its cells are skipped")
        cells = [cell for cell in self.plan.cells if probes[cell.runtime].ok]
        built: Built = {}
        yield from self._build([c for c in cells if not _stand_in(c)], built)
        for cell in cells:
            if self.cancelled:
                break
            if _stand_in(cell):
                yield CellFinished(**cell.identity(), summary=cell_summary([]),
                                   same_as=_stand_in(cell))
                continue
            target = runtimes.get(cell.runtime).artifact_target
            artifact = built.get((cell.benchmark, target)) if target else None
            if target and artifact is None:
                continue  # its build failed, and said so
            self._cancel_cell.clear()
            yield from CellRun(self, cell, probes[cell.runtime].version, artifact,
                               built.get((cell.benchmark, "native"))).events()
        yield RunFinished(self.run_id, self.tally.ok, self.tally.failed, self.cancelled,
                          round(time.monotonic() - started, 3))

    def _build(self, cells: list[Cell], built: Built) -> Iterator[Event]:
        """Build what the cells run, and the native build where it is the reference."""
        flags = self.plan.settings.flags
        for bench in dict.fromkeys(c.benchmark for c in cells):
            mine = [c for c in cells if c.benchmark == bench]
            targets = [runtimes.get(c.runtime).artifact_target for c in mine]
            if any(c.size > references.PYTHON_REFERENCE_LIMITS[bench] for c in mine):
                targets.append("native")
            wanted = [t for t in dict.fromkeys(targets) if t]
            if not wanted:
                continue
            try:
                for event in artifacts.build_all([bench], wanted, flags):
                    built[(event.benchmark, event.target)] = artifacts.artifact_for(
                        event.benchmark, event.target, flags)
                    yield event
            except toolchain.ToolchainError as exc:
                yield RunError(f"cannot build {bench}: {exc}; its cells are skipped",
                               benchmark=bench)


def _stand_in(cell: Cell) -> Optional[str]:
    """The mode that stands in for this cell's, when its runtime does not have it."""
    return runtimes.get(cell.runtime).same_as.get(cell.mode)


def probe_runtime(name: str, profile: str) -> Availability:
    """Whether a runtime can run here the programs of this build profile: one that cannot run
    the profile's SIMD modules is unavailable for it, with why."""
    probe = runtimes.probe(name)
    if not (probe.ok and toolchain.PROFILES[profile].wasm_simd):
        return probe
    problem = simd_problem(name, probe.version)
    if problem is None:
        return probe
    return Availability(False, probe.version, reason=f"profile {profile} builds WebAssembly "
                        f"with simd128 and {problem}",
                        fix="use --profile study (no SIMD), or a runtime version with simd128")


def probe_runtimes(plan: Plan) -> dict[str, Availability]:
    """``probe_runtime`` for each runtime of the plan."""
    return {name: probe_runtime(name, plan.settings.flags.profile)
            for name in dict.fromkeys(c.runtime for c in plan.cells)}


def unavailable(probes: dict[str, Availability]) -> list[str]:
    """Per runtime that cannot run: what is wrong and what to do, in one line."""
    return [_why_unavailable(name, probe) for name, probe in probes.items() if not probe.ok]


def _why_unavailable(name: str, probe: Availability) -> str:
    return f"runtime {name} unavailable: {probe.reason} — {probe.fix}"


def unavailable_errors(probes: dict[str, Availability], consequence: str) -> Iterator[RunError]:
    """A run that goes ahead without some runtimes (started from the dashboard, or through
    ``Run`` or ``Scale`` directly; the CLI refuses instead) says so, and what it means."""
    for name, probe in probes.items():
        if not probe.ok:
            yield RunError(f"{_why_unavailable(name, probe)}; {consequence}", runtime=name)
