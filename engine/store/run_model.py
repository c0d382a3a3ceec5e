"""What a run is, folded from its events: cells and their samples, for the dashboard and the
reports alike.

Plain Python, no Textual: the same ``apply`` serves live streams and results files, so the
screens and the results file can never disagree. Cells appear when a ``RunPlanned`` announces
them; a ``CellStarted`` resets its cell, which is how a re-run's samples replace the old ones.
What the event log should say is handed out as ``Note``s (a level and a text), for each reader
to show its own way.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional

from engine.errors import PlanError
from engine.report.units import fmt_ns
from engine.spec.plan import Cell, Plan, Settings
from engine.stats.summary import percentile
from engine.store.events import (
    ArtifactBuilt,
    CellEvent,
    CellFinished,
    CellStarted,
    Event,
    RunError,
    RunFinished,
    RunPlanned,
    SampleRecorded,
    Tally,
)
from engine.terms import CellStatus, Mode, NoteLevel

MAX_FAILURE_NOTES = 5
"""Failed samples logged per batch; a failing nop run must not flood the log pane."""


class Note(NamedTuple):
    """A line for the event log: how much it matters, and what it says (plain text)."""

    level: NoteLevel
    text: str


def cell_key(host: Optional[str], cell_id: str) -> str:
    """A cell's key in the model: its id, after its host's name when it ran on a host (a run
    on several hosts has the same cell on each)."""
    return cell_id if host is None else f"{host}: {cell_id}"


@dataclass
class CellState:
    """One runtime x benchmark x mode cell as the UI shows it."""

    cell_id: str
    runtime: str
    benchmark: str
    mode: Mode
    size: int
    iterations: int
    warmup: int = 0
    status: CellStatus = "queued"
    wall_ns: list[int] = field(default_factory=list)
    phases_ns: dict[str, list[int]] = field(default_factory=dict)
    measured: int = 0
    failed: int = 0
    last_ns: Optional[int] = None
    peak_rss: Optional[int] = None
    footprint: Optional[int] = None
    artifact_bytes: Optional[int] = None
    runtime_bytes: Optional[int] = None
    cold_process: Optional[str] = None
    """What a cold start launched when it is not the runtime itself ("python process")."""
    same_as: Optional[Mode] = None
    """The mode that stands in for this cell's (its runtime has no such mode)."""
    note: Optional[str] = None
    error: Optional[str] = None
    host: Optional[str] = None
    """The host it ran on, for a run on several hosts (``cell_id`` then starts with it)."""
    measure_seconds: Optional[float] = None
    """``CellFinished.measure_seconds``: from its first request to the worker's sending of its
    last sample, which with the samples' own time gives the harness's cost."""
    samples: list[SampleRecorded] = field(default_factory=list, repr=False)
    """Every sample as recorded, warm-ups and failures included: the per-sample exports."""
    _sorted: list[int] = field(default_factory=list, repr=False)
    """wall_ns kept in order as samples arrive, so quantiles cost no sort per redraw."""

    def start(self, event: CellStarted) -> None:
        """A (re)start: forget earlier samples, take the new iteration count and size."""
        self.size, self.iterations, self.warmup = event.size, event.iterations, event.warmup
        self.footprint, self.note = event.footprint_bytes, event.note
        self.cold_process = event.cold_process
        self.artifact_bytes, self.runtime_bytes = event.artifact_bytes, event.runtime_bytes
        self.status = "running"
        self.wall_ns, self.phases_ns, self._sorted, self.samples = [], {}, [], []
        self.measured = self.failed = 0
        self.last_ns = self.peak_rss = self.error = self.measure_seconds = None

    def add(self, sample: SampleRecorded) -> None:
        self.samples.append(sample)
        if sample.peak_rss_bytes is not None:
            self.peak_rss = max(self.peak_rss or 0, sample.peak_rss_bytes)
        if sample.warmup:
            return
        self.measured += 1
        self.last_ns = sample.wall_ns
        if not sample.ok:
            self.failed += 1
            self.error = sample.error or f"exit code {sample.exit_code}"
            return
        self.wall_ns.append(sample.wall_ns)
        bisect.insort(self._sorted, sample.wall_ns)
        for phase, ns in sample.phases_ns.items():
            self.phases_ns.setdefault(phase, []).append(ns)

    def quantile(self, q: float) -> Optional[float]:
        """Percentile of the ok samples so far."""
        return percentile(self._sorted, q) if self._sorted else None

    @property
    def check(self) -> str:
        """The output check as a word: ok, failed, or a dash before any sample."""
        if self.failed:
            return "failed"
        return "ok" if self.wall_ns else "–"


@dataclass
class RunModel:
    """Every cell of the dashboard session, in plan order, plus run-wide figures."""

    cells: dict[str, CellState] = field(default_factory=dict)
    max_rss: int = 0
    max_footprint: int = 0
    tally: Tally = field(default_factory=Tally)
    plans: dict[str, tuple[Cell, Settings]] = field(default_factory=dict)
    """Each cell as last planned, with its run's settings: what a re-run starts from."""
    run_id: Optional[str] = None
    environment: dict[str, Any] = field(default_factory=dict)
    """The last run's host, from its ``RunPlanned``: where the numbers came from."""
    finished: Optional[RunFinished] = None
    started_at: Optional[float] = None
    """``time.monotonic()`` when the last run was announced: the ETA's clock."""
    stopped: Optional[str] = None
    """Why the last run ended without its RunFinished (``cut_off``), for the status line."""
    last_error: Optional[str] = None
    """The last run's latest RunError: what an engine that stopped short said last."""
    _planned: dict[Optional[str], list[str]] = field(default_factory=dict, repr=False)
    """Each host's last announced cells (key None: this host)."""
    _running: set[Optional[str]] = field(default_factory=set, repr=False)
    """The hosts whose run is announced and not finished: ``finished`` waits for them all."""

    def plan(self, plan: Plan, host: Optional[str] = None) -> list[str]:
        """The cells a run announces; returns the ids that are new."""
        new = []
        for planned in plan.cells:
            key = cell_key(host, planned.cell_id)
            cell = self.cells.get(key)
            if cell is None:
                cell = self.cells[key] = CellState(
                    key, planned.runtime, planned.benchmark, planned.mode,
                    planned.size, planned.iterations, planned.warmup, host=host)
                new.append(cell.cell_id)
            cell.status = "queued"
            self.plans[key] = (planned, plan.settings)
        self._planned[host] = [cell_key(host, c.cell_id) for c in plan.cells]
        return new

    def apply(self, event: Event, notes: list[Note],
              host: Optional[str] = None) -> Optional[str]:
        """Fold one event in (``host``: where it came from, in a run on several hosts);
        returns the touched cell id and appends log lines to ``notes``."""
        if isinstance(event, SampleRecorded):
            cell = self._cell(event, host)
            cell.add(event)
            self.tally.add(event)
            if event.peak_rss_bytes:
                self.max_rss = max(self.max_rss, event.peak_rss_bytes)
            if not event.ok and not event.warmup \
                    and sum(n.level == "failure" for n in notes) < MAX_FAILURE_NOTES:
                notes.append(Note("failure",
                                  f"{cell.cell_id} #{event.iteration} failed: {event.error}"))
            return cell.cell_id
        if isinstance(event, CellStarted):
            cell = self._cell(event, host)
            cell.start(event)
            self.max_footprint = max(self.max_footprint, event.footprint_bytes or 0)
            return cell.cell_id
        if isinstance(event, CellFinished):
            return self._finish(event, notes, host)
        if isinstance(event, RunPlanned):
            self.run_id, self.environment, self.finished = event.run_id, event.environment, None
            self.stopped = self.last_error = None
            self._running.add(host)
            self.started_at = time.monotonic()
            try:
                self.plan(Plan.from_dict(event.plan, check=False), host)
            except PlanError as exc:
                notes.append(Note("damaged", f"cannot read the run's plan: {exc}"))
        elif isinstance(event, RunError):
            notes.append(Note("warning", event.message))
            self.last_error = event.message
            key = cell_key(host, event.cell_id) if event.cell_id else None
            if key in self.cells:
                self.cells[key].error = event.message
                return key
        elif isinstance(event, ArtifactBuilt) and not event.cached:
            notes.append(Note("info", f"built {event.benchmark} ({event.target}) in "
                                      f"{event.seconds:.1f} s"))
        elif isinstance(event, RunFinished):
            self._running.discard(host)
            self.finished = None if self._running else event
            self._settle("cancelled" if event.cancelled else "skipped", host)
            notes.append(Note("warning" if event.cancelled else "info",
                              ("" if host is None else f"{host}: ")
                              + f"run finished: {event.ok_samples} ok, {event.failed_samples} "
                              f"failed, {event.seconds:.1f} s"
                              + (" (cancelled)" if event.cancelled else "")))
        return None

    def eta_seconds(self) -> Optional[float]:
        """Time left in the last run at the rate so far (samples done against planned), or
        None before the first sample and after the run."""
        cells = [self.cells[c] for keys in self._planned.values() for c in keys
                 if c in self.cells]
        total = sum(c.iterations + c.warmup for c in cells if c.status in ("queued", "running")
                    ) + sum(len(c.samples) for c in cells if c.status not in ("queued",
                                                                               "running"))
        done = sum(len(c.samples) for c in cells)
        if self.started_at is None or self.finished is not None or not done or done >= total:
            return None
        return (time.monotonic() - self.started_at) * (total - done) / done

    def _finish(self, event: CellFinished, notes: list[Note], host: Optional[str]) -> str:
        cell = self._cell(event, host)
        if event.same_as:
            cell.status, cell.same_as = "same", event.same_as
            cell.note = f"= {event.same_as}: {event.runtime} has no {event.mode} mode of its own"
            return cell.cell_id
        cell.status = "cancelled" if event.cancelled else "failed" if event.error else "done"
        cell.measure_seconds = event.measure_seconds
        if event.error:
            cell.error = event.error
        notes.append(Note("warning" if event.cancelled else "info",
                          f"{cell.cell_id}: median {fmt_ns(event.summary.get('median'))}, "
                          f"{event.summary.get('ok', 0)} ok, {event.summary.get('failed', 0)} "
                          f"failed" + (" (cancelled)" if event.cancelled else "")))
        return cell.cell_id

    def cut_off(self, reason: str) -> set[str]:
        """The engine ended before its run's RunFinished (it stopped on a full disk, or died):
        the cell it was measuring failed with ``reason``, the queued ones never ran. Returns
        the touched cell ids."""
        touched: set[str] = set()
        for host in self._running:
            for cell in (self.cells[c] for c in self._planned.get(host, []) if c in self.cells):
                if cell.status == "running":
                    cell.status, cell.error = "failed", cell.error or reason
                    touched.add(cell.cell_id)
                elif cell.status == "queued":
                    cell.status = "skipped"
                    touched.add(cell.cell_id)
        if self._running:
            self.stopped = reason
        self._running.clear()
        return touched

    def _settle(self, status: CellStatus, host: Optional[str]) -> None:
        """A run's cells still queued when it ends never ran (cancelled, runtime unavailable)."""
        for cell in (self.cells[c] for c in self._planned.get(host, []) if c in self.cells):
            if cell.status in ("queued", "running"):
                cell.status = status

    def _cell(self, event: CellEvent, host: Optional[str]) -> CellState:
        """The cell a cell event belongs to (created if a file lacks its plan)."""
        key = cell_key(host, event.cell_id)
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = CellState(
                key, event.runtime, event.benchmark, event.mode, event.size, 0,
                host=host)
        return cell

    @classmethod
    def from_events(cls, events: Iterable[Event], notes: list[Note]) -> RunModel:
        """Rebuild from a results file's events (``engine.store.results.read_events``)."""
        model = cls()
        for event in events:
            model.apply(event, notes)
        return model
