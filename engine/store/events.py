"""The engine's only voice: frozen events, yielded from one iterator.

Every consumer (CLI, dashboard, results file, remote) sees the same stream. The JSON form of an
event is its fields plus ``"event": "<snake_case name>"`` (``engine.serial``); a results file
is those lines, so a run can be replayed from its file. Events of one cell derive from
``CellEvent`` and carry its identity, stamped from ``plan.Cell.identity``. Reading ignores
fields it does not know (a line tagged with its host, a newer faasbench's additions) and refuses
a line whose known fields do not fit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Optional, Union

from engine import serial
from engine.serial import Record, field
from engine.stats.summary import summarize
from engine.terms import Mode


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Event(Record, tag_field="event", tag=_snake, forbid_unknown_fields=False):
    """Base of all events; subclasses are plain data."""

    name: ClassVar[str] = "event"
    """The event's tag, as results files name it (``sample_recorded``)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = _snake(cls.__name__)

    def to_dict(self) -> dict[str, Any]:
        """The event as plain data, its name under ``"event"``."""
        return serial.to_builtins(self)  # type: ignore[no-any-return]

    def to_json(self) -> str:
        """One line, no whitespace (``line_prefix``): a long warm cell records a sample every
        few microseconds."""
        return serial.encode(self).decode()


def line_prefix(event: type[Event]) -> bytes:
    """How a results line of this kind of event starts (``Event.to_json``'s layout): a file
    can be scanned for one kind without parsing every line."""
    return b'{"event":"' + event.name.encode() + b'",'


class RunPlanned(Event):
    """First event of a run: the plan as run (``Plan.to_dict``) and the machine it runs on."""

    run_id: str
    plan: dict[str, Any]
    environment: dict[str, Any]


class ArtifactBuilt(Event):
    """A benchmark program compiled (or found in the cache) for one target."""

    benchmark: str
    target: str
    path: str
    size_bytes: int
    cached: bool
    seconds: float
    index: int
    total: int


class CellEvent(Event):
    """An event of one cell: runtime x benchmark (at a size) x mode."""

    cell_id: str
    runtime: str
    benchmark: str
    size: int
    mode: Mode


class CellStarted(CellEvent):
    """The cell is prepared and its iterations begin; ``reference`` says what outputs are
    checked against, ``note`` how this runtime's mode differs from its name, if it does."""

    runtime_version: str
    iterations: int
    warmup: int
    artifact: str
    reference: str
    artifact_bytes: Optional[int] = None
    """What is deployed per function: the module (or its precompiled form), binary or image."""
    runtime_bytes: Optional[int] = None
    """What the machine must have installed: engine package or binaries (Docker: the engine's
    binaries, and the base image when there is one)."""
    footprint_bytes: Optional[int] = None
    """Their sum, when both are known: the two sides of a footprint count the same things."""
    cold_process: Optional[str] = None
    """What a cold start launches when it is not the runtime itself ("python process")."""
    note: Optional[str] = None


class SampleRecorded(CellEvent):
    """One iteration: a flat row of measurements; ``ok`` means the output matched the reference."""

    runtime_version: str
    iteration: int
    warmup: bool
    wall_ns: int
    cpu_ns: Optional[int]
    peak_rss_bytes: Optional[int]
    exit_code: Optional[int]
    ok: bool
    error: Optional[str] = None
    fuel: Optional[int] = None
    guest_memory_bytes: Optional[int] = None
    phases_ns: dict[str, int] = field(default_factory=dict)


class CellFinished(CellEvent):
    """A cell ended; ``summary`` covers its measured (non-warmup) ok samples' wall times.

    ``error`` says why a cell stopped short (it could not be prepared), ``cancelled`` that
    the user stopped it, ``same_as`` which of its runtime's modes stands in for it.
    """

    summary: dict[str, Any]
    cancelled: bool = False
    error: Optional[str] = None
    seconds: Optional[float] = None
    """The whole cell: preparing, measuring and finishing."""
    measure_seconds: Optional[float] = None
    """From the first iteration requested to the worker's sending of the last (recording the
    samples may go on after it): what the harness adds to the iterations shows here."""
    same_as: Optional[str] = None
    """The mode this cell equals for its runtime; it was not run (its summary is empty)."""


class RunError(Event):
    """Something the user must know: an unavailable runtime, a failed build, a failed cell."""

    message: str
    runtime: Optional[str] = None
    benchmark: Optional[str] = None
    cell_id: Optional[str] = None


class RunFinished(Event):
    """Last event of a run, also written when the run was cancelled; counts as ``Tally``."""

    run_id: str
    ok_samples: int
    failed_samples: int
    cancelled: bool
    seconds: float


class ScalePlanned(Event):
    """First event of ``faasbench scale``: what it brings up (``ScaleSpec.to_dict``) and the
    machine it runs on, as ``RunPlanned`` is for a run."""

    run_id: str
    spec: dict[str, Any]
    environment: dict[str, Any]


class ScaleStep(Event):
    """``instances`` warm instances of one runtime up at once, and what they cost the machine.

    Memory is the kernel's: the PSS of every process involved (the pool server and its
    children; for Docker each container's containerd shim) plus the containers' cgroup usage,
    all of which were zero before the step-up began.
    """

    run_id: str
    runtime: str
    benchmark: str
    instances: int
    ready_s: float
    """From the step-up's start (server start and module load included) until all are ready."""
    step_s: float
    """This step's share: bringing up the instances added since the last step."""
    memory_bytes: int
    per_instance_bytes: float
    marginal_bytes: Optional[float]
    """Per instance added since the previous step (None at the first): the slope."""
    instances_per_gib: float
    pss_bytes: int
    rss_bytes: int
    cgroup_bytes: int
    processes: int
    what: str
    """What one instance is for this runtime."""
    daemon_delta_bytes: Optional[int] = None
    """Docker: growth of dockerd + containerd's PSS since before the step-up, shown beside the
    figure and not in it (the engine is shared; other clients move it too)."""


class ScaleLimit(Event):
    """The memory budget stopped the step-up: where, and why."""

    run_id: str
    runtime: str
    benchmark: str
    reached: int
    stopped_before: Optional[int]
    budget_bytes: int
    reason: str


class BurstProgress(Event):
    """How far a burst has come (about twice a second)."""

    run_id: str
    runtime: str
    done: int
    total: int


class BurstFinished(Event):
    """R requests by C concurrent clients over N warm instances; every response verified.
    Latencies are the clients' (request sent until the answer was checked), of ok responses
    only: a failed request is counted, not timed."""

    run_id: str
    runtime: str
    benchmark: str
    instances: int
    requests: int
    concurrency: int
    ok: int
    failed: int
    seconds: float
    throughput_rps: float
    """Verified (ok) responses per second of the burst."""
    p50_ns: Optional[float]
    p95_ns: Optional[float]
    p99_ns: Optional[float]
    errors: dict[str, int] = field(default_factory=dict)
    """Why requests failed, with how often (the first few distinct reasons)."""
    cancelled: bool = False


class ScaleFinished(Event):
    """Last event of a scale run, also after a cancel."""

    run_id: str
    cancelled: bool
    seconds: float


AnyEvent = Union[RunPlanned, ArtifactBuilt, CellStarted, SampleRecorded, CellFinished, RunError,
                 RunFinished, ScalePlanned, ScaleStep, ScaleLimit, BurstProgress, BurstFinished,
                 ScaleFinished]
"""Every kind of event a stream or a results file may hold."""


def from_dict(data: Any) -> Event:
    """The event in a decoded JSON object (a results row, a tagged stream line); fields it
    does not know are ignored, anything else that does not fit raises ``serial.SerialError``."""
    return serial.convert(data, AnyEvent)  # type: ignore[arg-type, no-any-return]


def from_json(line: Union[bytes, str]) -> Event:
    """The event on one line of JSON, checked as ``from_dict`` checks an object."""
    return serial.decode(line, AnyEvent)  # type: ignore[no-any-return]


@dataclass
class Tally:
    """The one count of samples: measured ones only; warm-ups are recorded but never counted."""

    ok: int = 0
    failed: int = 0

    def add(self, sample: SampleRecorded) -> None:
        if sample.warmup:
            return
        if sample.ok:
            self.ok += 1
        else:
            self.failed += 1


def cell_summary(samples: Sequence[SampleRecorded]) -> dict[str, Any]:
    """Statistics over a cell's measured ok samples' wall times (ns), with the ``Tally``
    counts and the largest peak RSS."""
    tally = Tally()
    for sample in samples:
        tally.add(sample)
    ok = [s for s in samples if s.ok and not s.warmup]
    rss = [s.peak_rss_bytes for s in ok if s.peak_rss_bytes is not None]
    return {**summarize(s.wall_ns for s in ok), "ok": tally.ok, "failed": tally.failed,
            "peak_rss_bytes_max": max(rss) if rss else None}
