"""Every message the dashboard passes around, in one place.

Engine events arrive in batches (one message per ~50 ms of stream, see ``engine_link``), so a
warm nop run producing thousands of samples per second costs the UI a few messages a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from textual.message import Message

from engine.spec.plan import Plan
from engine.store.events import Event
from engine.store.run_model import Note


@dataclass
class EngineEvents(Message):
    """A batch of engine events, in stream order."""

    events: list[Event]
    hosts: list[Optional[str]] = field(default_factory=list)
    """The host each event came from, in the same order (empty: this machine only)."""


@dataclass
class EngineExited(Message):
    """The child engine ended; ``label`` is its request's (a plan's origin, or "scale"),
    ``problem`` its stderr when it ended badly."""

    label: str
    returncode: int
    problem: Optional[str] = None


@dataclass
class ModelChanged(Message):
    """The app folded events into the model; screens refresh the named cells and log the notes."""

    cell_ids: frozenset[str]
    notes: list[Note]
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
    """``engine.doctor.doctor()`` finished (it asks every runtime, so it runs off the UI
    thread)."""

    report: dict
