"""What ``run``, ``run --host`` and ``watch --plain`` print as a run goes: one wording for all
three. Plain text: the views print it as rich ``Text``, so an error's brackets stay as they are."""

from __future__ import annotations

from typing import Optional

from engine.report.units import fmt_ns
from engine.store.events import CellFinished, SampleRecorded


def _who(host: Optional[str]) -> str:
    return f"{host} " if host else ""


def failed_sample_line(event: SampleRecorded, host: Optional[str] = None) -> str:
    """A sample that failed, and why."""
    return f"{_who(host)}{event.cell_id} #{event.iteration} failed: {event.error}"


def cell_line(event: CellFinished, host: Optional[str] = None) -> str:
    """A finished cell: its median and counts, and why it stopped short if it did."""
    summary = event.summary
    return (f"{_who(host)}{event.cell_id}: median {fmt_ns(summary.get('median'))}, "
            f"{summary.get('ok', 0)} ok, {summary.get('failed', 0)} failed"
            + (" (cancelled)" if event.cancelled else "")
            + (f", stopped short: {event.error}" if event.error else ""))
