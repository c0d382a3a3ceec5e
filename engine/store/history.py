"""Past runs: every results file in the data dir, listed cheaply and named by id, prefix or path.

Listing stays quick with paper-preset files of 20,000 samples because it never folds a run:
sample lines are counted from their bytes (our writer's compact ``"ok":true``) and the few
other lines are parsed and checked. A damaged sample line that still looks whole is only
caught when the run is opened (``results.load_model`` checks every line).

A dashboard session appends each run it starts to one file; that file is one entry, its fields
covering all its runs. Status: ``finished`` (every run has its ``run_finished``), ``cancelled``
(one was cancelled), or ``cut off`` (a run has no ``run_finished``: killed, or still running).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from engine.store.events import (
    BurstFinished,
    Event,
    RunFinished,
    RunPlanned,
    SampleRecorded,
    ScaleFinished,
    ScalePlanned,
    line_prefix,
)
from engine.store.results import (
    BadLine,
    ResultsError,
    bad_lines_warning,
    parse_line,
    read_events,
    results_dir,
)
from engine.terms import RunStatus

RUN_FILE = re.compile(r"run-(\d{8}-\d{6})-(.+)\.jsonl")
"""``engine.results.default_path``'s names: start time (local) and run id."""
_SAMPLE = line_prefix(SampleRecorded)


class UnknownRun(ResultsError):
    """A run name that names no run, or more than one."""


@dataclass(frozen=True)
class RunInfo:
    """One results file as ``faasbench history`` and the history screen list it."""

    run_id: str
    path: Path
    started: datetime
    host: Optional[str]
    runtimes: tuple[str, ...]
    benchmarks: tuple[str, ...]
    modes: tuple[str, ...]
    presets: tuple[str, ...]
    ok: int
    failed: int
    status: RunStatus
    runs: int
    """Runs in the file: 1 for the CLI, each dashboard run (re-runs too) in a session."""
    warning: Optional[str] = None
    """Lines the listing could tell were bad (``results.load_model`` checks every line)."""

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "path": str(self.path),
                "started": self.started.isoformat(timespec="seconds"), "host": self.host,
                "runtimes": list(self.runtimes), "benchmarks": list(self.benchmarks),
                "modes": list(self.modes), "presets": list(self.presets), "ok": self.ok,
                "failed": self.failed, "status": self.status, "runs": self.runs,
                "warning": self.warning}


COLUMNS = ("id", "started", "host", "runtimes × benchmarks × modes (preset)", "ok", "failed",
           "status")


def table_row(info: RunInfo) -> list[str]:
    """One run's ``COLUMNS`` as text: the CLI's table and the history screen show the same.
    What ran is one column that wraps between words, so the table fits 80 columns."""
    status = info.status + (f" ({info.runs} runs)" if info.runs > 1 else "")
    what = " × ".join(", ".join(names) or "–" for names in (
        info.runtimes, info.benchmarks, info.modes)) + f" ({', '.join(info.presets) or '–'})"
    return [info.run_id, info.started.strftime("%Y-%m-%d %H:%M"), info.host or "–", what,
            str(info.ok), str(info.failed), status]


def run_id_of(path: Path) -> str:
    """The id a run is named by: the one in its file name (the file's stem otherwise)."""
    match = RUN_FILE.fullmatch(path.name)
    return match.group(2) if match else path.stem


def _started(path: Path) -> datetime:
    match = RUN_FILE.fullmatch(path.name)
    if match:
        return datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")
    return datetime.fromtimestamp(path.stat().st_mtime)


def _flag(raw: bytes, key: bytes) -> Optional[bool]:
    """A boolean field read from a line's bytes as our writer writes it; None if unclear."""
    true, false = b'"%s":true' % key in raw, b'"%s":false' % key in raw
    return true if true != false else None


@dataclass
class _Scan:
    """What one pass over a file's lines gathers."""

    host: Optional[str] = None
    plans: list[dict[str, Any]] = field(default_factory=list)
    ends: list[Optional[bool]] = field(default_factory=list)
    """Per run seen so far: ``None`` until its ``run_finished``, then whether it was cancelled."""
    ok: int = 0
    failed: int = 0
    bad: list[BadLine] = field(default_factory=list)

    def line(self, number: int, raw: bytes) -> None:
        ok, warmup = _flag(raw, b"ok"), _flag(raw, b"warmup")
        if raw.startswith(_SAMPLE) and raw.endswith(b"}\n") and ok is not None \
                and warmup is not None:
            if not warmup:
                self.ok += ok
                self.failed += not ok
            return
        try:
            event = parse_line(raw)
        except ValueError as exc:
            self.bad.append(BadLine(number, str(exc)))
            return
        self.event(event)

    def event(self, event: Event) -> None:
        if isinstance(event, RunPlanned):
            self.plans.append(event.plan)
            self.ends.append(None)
            self.host = self.host or event.environment.get("host")
        elif isinstance(event, ScalePlanned):  # listed as its runtimes x benchmark
            spec = event.spec
            self.plans.append({"cells": [{"runtime": r, "benchmark": spec.get("benchmark"),
                                          "mode": "scale"} for r in spec.get("runtimes", ())],
                               "settings": {"preset": "scale"}})
            self.ends.append(None)
            self.host = self.host or event.environment.get("host")
        elif isinstance(event, (RunFinished, ScaleFinished)) and self.ends \
                and self.ends[-1] is None:
            self.ends[-1] = event.cancelled
        elif isinstance(event, BurstFinished):  # every request of a burst is verified
            self.ok += event.ok
            self.failed += event.failed
        elif isinstance(event, SampleRecorded) and not event.warmup:
            self.ok += event.ok
            self.failed += not event.ok

    @property
    def status(self) -> RunStatus:
        if not self.ends or None in self.ends:
            return "cut off"
        return "cancelled" if any(self.ends) else "finished"


def _cells(plans: list[dict[str, Any]], key: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(cell.get(key)) for plan in plans
                               for cell in plan.get("cells") or () if isinstance(cell, dict)))


def describe(path: Path) -> RunInfo:
    """One results file's entry (OSError when it cannot be read)."""
    scan = _Scan()
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            if raw.strip():
                scan.line(number, raw)
    presets = tuple(dict.fromkeys(str((p.get("settings") or {}).get("preset", "?"))
                                  for p in scan.plans))
    return RunInfo(run_id_of(path), path, _started(path), scan.host, _cells(scan.plans, "runtime"),
                   _cells(scan.plans, "benchmark"), _cells(scan.plans, "mode"), presets,
                   scan.ok, scan.failed, scan.status, len(scan.plans),
                   bad_lines_warning(path, scan.bad))


def list_runs(directory: Optional[Path] = None) -> list[RunInfo]:
    """Every run kept in ``directory`` (the data dir's results by default), newest first; a
    file that vanished or cannot be read meanwhile is left out."""
    infos = []
    for path in (directory or results_dir()).glob("*.jsonl"):
        try:
            infos.append(describe(path))
        except OSError:
            continue
    return sorted(infos, key=lambda i: (i.started, i.path.name), reverse=True)


def resolve(name: str, directory: Optional[Path] = None) -> Path:
    """The results file a run name means: a path, a run id, or a unique prefix of one."""
    given = Path(name).expanduser()
    if given.is_file():
        return given
    folder = directory or results_dir()
    ids = {run_id_of(path): path for path in folder.glob("*.jsonl")}
    if name in ids:
        return ids[name]
    matches = sorted(run_id for run_id in ids if name and run_id.startswith(name))
    if len(matches) == 1:
        return ids[matches[0]]
    if matches:
        raise UnknownRun(f"run '{name}' is ambiguous: it starts {', '.join(matches)}; "
                         "give more of the id")
    raise UnknownRun(f"no run '{name}' in {folder} and no such file; `faasbench history` "
                     "lists the runs")


def scale_run_events(name: Optional[str] = None,
                     directory: Optional[Path] = None) -> list[Event]:
    """The events of the scale run ``name`` names, else of the latest one kept in
    ``directory`` (none kept: no events); a scale run's claim (f) rests on them."""
    if name is not None:
        return read_events(resolve(name, directory))
    scale = [info for info in list_runs(directory) if "scale" in info.presets]
    return read_events(scale[0].path) if scale else []
