"""``Run``: executes a plan and yields events, the engine's one way to run a plan (a scale run
is ``engine.scale.scale_run.ScaleRun``, prepared the same way).

Order of events: RunPlanned (the plan and the environment record), ArtifactBuilt per program
(``engine.measure.prepare``), then per cell (``engine.measure.cell_run``) CellStarted,
SampleRecorded per iteration, CellFinished; RunError whenever something needs the user's
attention; RunFinished last, also after a cancel.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Optional

from engine import runtimes
from engine.measure import prepare
from engine.measure.cell_run import CellRun
from engine.measure.worker_link import Worker, pin_controller
from engine.runtimes.base import Availability
from engine.spec.plan import Cell, Plan
from engine.store.events import (
    CellFinished,
    Event,
    RunError,
    RunFinished,
    RunPlanned,
    Tally,
    cell_summary,
)
from engine.terms import Mode


class Run:
    """One execution of a plan. ``cancel``/``cancel_cell`` may be called from any thread."""

    def __init__(self, plan: Plan, run_id: Optional[str] = None,
                 found: Optional[dict[str, Availability]] = None) -> None:
        self.plan = plan
        self.found = found
        """``plan_availabilities(plan)`` when the caller has it already; else asked when run."""
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
        found = self.found if self.found is not None else plan_availabilities(self.plan)
        yield RunPlanned(self.run_id, self.plan.to_dict(),
                         prepare.environment_record(found, settings.flags))
        yield from prepare.unavailable_errors(found, "its cells are skipped")
        cells = [cell for cell in self.plan.cells if found[cell.runtime].ok]
        builds = yield from prepare.build(((c.runtime, c.benchmark, c.size) for c in cells
                                           if not _stand_in(c)), settings.flags)
        recheck = False
        """A cell stopped because its engine went: later cells ask their runtime again."""
        for cell in cells:
            if self.cancelled:
                break
            stand_in = _stand_in(cell)
            if stand_in:
                yield CellFinished(**cell.identity(), summary=cell_summary([]), same_as=stand_in)
                continue
            if builds.failed(cell.runtime, cell.benchmark):
                continue  # its build failed, and said so
            if recheck and not (now := prepare.availability(cell.runtime,
                                                             settings.flags.profile)).ok:
                yield RunError(f"{cell.cell_id}: skipped: {now.reason}", runtime=cell.runtime,
                               benchmark=cell.benchmark, cell_id=cell.cell_id)
                continue
            self._cancel_cell.clear()
            cell_run = CellRun(self, cell, found[cell.runtime].version, builds)
            yield from cell_run.events()
            recheck |= cell_run.stopped is not None and cell_run.stopped.recheck
        yield RunFinished(self.run_id, self.tally.ok, self.tally.failed, self.cancelled,
                          round(time.monotonic() - started, 3))


def _stand_in(cell: Cell) -> Optional[Mode]:
    """The mode that stands in for this cell's, when its runtime does not have it."""
    return runtimes.get(cell.runtime).same_as.get(cell.mode)


def plan_availabilities(plan: Plan) -> dict[str, Availability]:
    """``prepare.availabilities`` of the plan's runtimes, for its build profile."""
    return prepare.availabilities((c.runtime for c in plan.cells), plan.settings.flags.profile)
