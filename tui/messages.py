"""Every message the dashboard passes around, in one place.

Engine events arrive in batches (one message per ~50 ms of stream, see ``engine_link``), so a
warm nop run producing thousands of samples per second costs the UI a few messages a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from textual.message import Message

from engine.events import Event
from engine.plan import Plan


@dataclass
class EngineEvents(Message):
    """A batch of engine events, in stream order."""

    events: list[Event]
    machines: list[Optional[str]] = field(default_factory=list)
    """The host each event came from, in the same order (empty: this machine only)."""


@dataclass
class EngineExited(Message):
    """The child engine ended; ``label`` is its plan's origin, ``problem`` its stderr when it
    ended badly."""

    label: str
    returncode: int
    problem: Optional[str] = None


@dataclass
class ModelChanged(Message):
    """The app folded events into the model; screens refresh the named cells and log the notes."""

    cell_ids: frozenset[str]
    notes: list[str]
    new_cells: bool = False


@dataclass
class RunRequested(Message):
    """The setup screen asks for a run of this plan (already checked by ``make_plan``)."""

    plan: Plan
    hosts: list[str] = field(default_factory=list)
    """Where to run it (``engine.remote.hosts``); empty: this machine, in a child engine."""


@dataclass
class RerunRequested(Message):
    """Run one cell again with new iterations and size; its samples replace the old ones."""

    cell_id: str
    iterations: int
    size: int


@dataclass
class DoctorReady(Message):
    """``engine.doctor.doctor()`` finished (it probes runtimes, so it runs off the UI thread)."""

    report: dict


@dataclass
class ScaleEvents(Message):
    """A batch of a scale run's events, for the scale screen."""

    events: list[Event]


@dataclass
class ScaleEnded(Message):
    """The scale's child engine ended; ``problem`` is its stderr when it ended badly."""

    returncode: int
    problem: Optional[str] = None
