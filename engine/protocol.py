"""What the controller, the worker and the hosts they start say to each other: typed messages.

Controller ↔ worker: one JSON object per line, ``{"type": <class name>, ...fields}``. The
controller sends ``Prepare`` once per cell, then ``Invoke`` (for any number of iterations) and
``Close``; the worker answers ``Prepared`` or ``Failed`` to a prepare and streams
``Measurements`` (batches of ``Measured``, one per iteration) to an invoke. A host
(a fresh Python interpreter for a cold sample, or node) reports each run as a ``HostReport``;
the node host is started with a ``NodeSpec``. Both ends build and read these classes, never
dicts of their own.
"""

from __future__ import annotations

import base64
import json
from array import array
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, NamedTuple, Optional, Union

import dacite

from .runtimes.base import Invocation, Job, Served

PHASES: dict[str, str] = {
    "start": "a fresh host process, from its spawn until its own code runs (interpreter, node)",
    "load": "making the function runnable: reading and deserialising (or compiling) it; in a "
            "fresh host also importing and configuring the engine",
    "compile": "compiling the module to machine code",
    "instantiate": "a fresh instance with its WASI context",
    "execute": "the guest's _start, to its exit",
    "exit": "from the guest's end to the host process's exit",
    "teardown": "wasmtime in a running host: deleting the request's store, which frees its "
                "instance or returns its slot to the pool (a process's request likewise ends "
                "when it has exited)",
    "sandbox": "wasmer-sdk: a fresh sandbox holding the package and the data files",
    "run": "wasmer-sdk: the command in the sandbox (compiling on first use, instantiate, execute)",
    "create": "Docker load: creating the container; docker-exec warm: the exec instance",
    "wait": "Docker load: from start until the container exited",
    "logs": "Docker load: collecting the container's output",
    "remove": "Docker load: removing the container",
    "exec": "docker-exec warm: running the exec instance to its end, with its output",
    "inspect": "docker-exec warm: reading the exec instance's exit code",
    "cli-create": "Docker cold (`docker run --rm`): from the CLI's spawn to the engine's create "
                  "event (the CLI's own start, then creating the container)",
    "cli-start": "Docker cold: from the create event to the start event (attaching to and "
                 "starting the container)",
    "cli-run": "Docker cold: from the start event to the die event (the program, to its exit)",
    "cli-remove": "Docker cold: from the die event to the destroy event (--rm removes it)",
    "cli-exit": "Docker cold: from the destroy event until the docker CLI process has exited",
    "dispatch": "Docker warm: from writing the request to the launcher in the container until "
                "it forks the program (waking it, truncating the output files)",
    "program": "Docker warm: the program, from the launcher's fork to its wait4 (the "
               "launcher's own stamps)",
    "reply": "Docker warm: from the program's end until the launcher's report was read",
}
"""Every phase name a runtime may report, with what it covers. Runtimes report the ones they
really have; wall time is always measured around the whole iteration."""


@dataclass(frozen=True)
class ReferenceSpec:
    """What the worker needs to find (or compute) the expected output of a cell."""

    benchmark: str
    size: int
    native_artifact: Optional[str]
    """The native build, for sizes above the Python reference's limit (else None)."""
    native_key: str


@dataclass(frozen=True)
class Prepare:
    runtime: str
    job: Job
    reference: ReferenceSpec


@dataclass(frozen=True)
class Invoke:
    """Run ``count`` iterations back to back, answering each with a ``Measured`` as it ends
    (no round trip per iteration: the controller is not in the loop)."""

    count: int = 1


@dataclass(frozen=True)
class Close:
    """Release the runtime and exit."""


@dataclass(frozen=True)
class Prepared:
    artifact_bytes: Optional[int]
    """What is deployed per function (module, binary or image)."""
    runtime_bytes: Optional[int]
    """What the host must have installed to run it (engine package, binaries)."""
    reference: str
    """What outputs are checked against (``Expected.source``)."""


@dataclass(frozen=True)
class Failed:
    """The request could not be carried out; ``error`` says why, in one line."""

    error: str


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and its text with line breaks folded (engines
    such as wasmtime explain over several lines: "... Caused by: ...")."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


class Measured(NamedTuple):
    """One iteration: what the runtime measured, and whether the output matched (a tuple:
    thousands are made a second, and a frozen dataclass costs a microsecond each)."""

    invocation: Invocation
    ok: bool


MAX_BATCH = 1 << 20
"""Iterations in one ``Measurements`` at most (a bound on what a malformed line may ask for)."""
Column = Union[list[Any], "array[int]"]
"""A ``Measurements`` column: a list, or whole numbers packed as ``array('q')``, as a host
that serves requests back to back hands them over (no Python object per value)."""


@dataclass
class Measurements:
    """Iterations that ended back to back, in order: one line (and one wake-up of the
    controller) for many. Column by column (a column per ``Invocation`` field, ``phases_ns`` a
    column per phase with None where an iteration lacks it, and ``ok``). On the wire, where
    ``n`` is the batch's length, a column of one repeated value is ``{"same": value}`` and a
    packed one base64 of its bytes (``{"q": ...}``, native byte order: the worker and the
    controller share a machine), so a batch costs the worker microseconds, not a fraction of
    a microsecond per value."""

    columns: dict[str, Any]
    sent_ns: int = 0
    """When the worker sent the batch (``time.monotonic_ns``: every process on the machine
    shares the clock): where the measuring of its last iteration ends."""

    @classmethod
    def of(cls, items: Sequence[Measured]) -> Measurements:
        batch = cls({**{name: [] for name in _SCALARS}, "phases_ns": {}, "ok": []})
        for item in items:
            batch.add(item)
        return batch

    def add_served(self, served: Served, last_ok: bool) -> None:
        """Add ``Runtime.serve_many``'s requests (all correct but the last, whose output check
        is ``last_ok``), keeping packed columns packed."""
        count = served.count - 1
        self._extend({"exit_code": [0] * count, "error": [None] * count,
                      "peak_rss_bytes": [None] * count, **served.clean, "ok": [True] * count},
                     count)
        self.add(Measured(served.last, last_ok))

    def add(self, item: Measured) -> None:
        inv = item.invocation
        self._extend({**{name: [getattr(inv, name)] for name in _SCALARS},
                      "phases_ns": {name: [ns] for name, ns in inv.phases_ns.items()},
                      "ok": [item.ok]}, 1)

    def _extend(self, columns: dict[str, Any], count: int) -> None:
        """Append ``count`` iterations given as columns; a phase either side lacks is None."""
        before, phases = len(self), self.columns["phases_ns"]
        for name in (*_SCALARS, "ok"):
            self.columns[name] = _extended(self.columns[name], columns[name])
        for name in columns["phases_ns"].keys() - phases.keys():
            phases[name] = [None] * before
        for name, column in phases.items():
            phases[name] = _extended(column, columns["phases_ns"].get(name, [None] * count))

    def __len__(self) -> int:
        return len(self.columns["ok"])

    def items(self) -> list[Measured]:
        """One ``Measured`` per iteration (the controller's view)."""
        columns = self.columns
        phases = [{name: ns for name, ns in zip(columns["phases_ns"], row) if ns is not None}
                  for row in zip(*columns["phases_ns"].values())] \
            if columns["phases_ns"] else [{} for _ in range(len(self))]
        return [Measured(Invocation(**dict(zip(_SCALARS, row)), phases_ns=row_phases), ok)
                for *row, row_phases, ok in zip(*(columns[name] for name in _SCALARS), phases,
                                                columns["ok"])]

    def to_wire(self) -> dict[str, Any]:
        columns = {name: _packed(column) for name, column in self.columns.items()
                   if name != "phases_ns"}
        columns["phases_ns"] = {name: _packed(column)
                                for name, column in self.columns["phases_ns"].items()}
        return {"type": "Measurements", "n": len(self), "sent_ns": self.sent_ns,
                "columns": columns}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Measurements:
        """The batch in a decoded line; ValueError when its columns do not line up."""
        wire, length = data.get("columns"), data.get("n")
        if not isinstance(wire, dict) or set(wire) != {*_SCALARS, "phases_ns", "ok"} \
                or not isinstance(wire["phases_ns"], dict):
            raise ValueError("malformed Measurements message: its columns are not "
                             f"{[*_SCALARS, 'phases_ns', 'ok']}")
        if not isinstance(length, int) or isinstance(length, bool) \
                or not 1 <= length <= MAX_BATCH:
            raise ValueError(f"malformed Measurements message: n is {length!r}, not a count of "
                             f"iterations from 1 to {MAX_BATCH}")
        sent = data.get("sent_ns")
        if not isinstance(sent, int) or isinstance(sent, bool) or sent < 0:
            raise ValueError(f"malformed Measurements message: sent_ns is {sent!r}")
        columns = {name: _unpacked(column, length, _VALUES.get(name, (int, type(None))))
                   for name, column in wire.items() if name != "phases_ns"}
        columns["phases_ns"] = {str(name): _unpacked(column, length, (int, type(None)))
                                for name, column in wire["phases_ns"].items()}
        return cls(columns, sent)


def _extended(column: Column, values: Column) -> Column:
    """``column`` followed by ``values``: packed while every value is a whole number (an empty
    column takes a packed one's packing), a list once one is None."""
    if isinstance(values, array) and not column:
        return array("q", values)
    if isinstance(column, array) and None in values:
        column = column.tolist()
    column.extend(values)
    return column


def _packed(column: Column) -> Any:
    if isinstance(column, array):
        return {"q": base64.b64encode(column).decode()}
    if column and column.count(column[0]) == len(column):  # counted in C; most columns are
        return {"same": column[0]}
    return column


def _unpacked(column: Any, length: int, values: tuple[type, ...]) -> Column:
    """A column of ``length`` values of the types ``values`` from the wire; ValueError when it
    is not one."""
    unpacked: Column
    if isinstance(column, dict) and set(column) == {"same"} and _all_of([column["same"]], values):
        unpacked = [column["same"]] * length
    elif isinstance(column, dict) and set(column) == {"q"} and isinstance(column["q"], str) \
            and int in values:
        unpacked = array("q")
        unpacked.frombytes(base64.b64decode(column["q"], validate=True))
    elif isinstance(column, list) and _all_of(column, values):
        unpacked = column
    else:
        raise ValueError(f"malformed Measurements column: {str(column)[:100]!r}")
    if len(unpacked) != length:
        raise ValueError(f"malformed Measurements message: a column of {len(unpacked)} values "
                         f"in a batch of {length}")
    return unpacked


def _all_of(values: list[Any], types: tuple[type, ...]) -> bool:
    """Whether every value is of ``types`` (a bool counts as an int only where bools are)."""
    return all(isinstance(value, types) and (bool in types or not isinstance(value, bool))
               for value in values)


_VALUES: dict[str, tuple[type, ...]] = {"wall_ns": (int,), "error": (str, type(None)),
                                        "ok": (bool,)}
"""The types of a column's values on the wire; the other columns hold whole numbers or None."""


Message = Union[Prepare, Invoke, Close, Prepared, Failed, Measured, Measurements]
"""What crosses the pipe, and ``Measured``: the worker sends iterations only as ``Measurements``,
which the controller's ``Worker`` hands out one ``Measured`` at a time."""
_TYPES: dict[str, type] = {cls.__name__: cls for cls in
                           (Prepare, Invoke, Close, Prepared, Failed, Measurements)}
_SCALARS = [f.name for f in fields(Invocation) if f.name != "phases_ns"]


def encode(message: Message) -> str:
    """One line of JSON (no newline), by orjson: a batch's base64 columns take the json
    module 200 µs, a share of every warm sample. orjson is imported here and in ``decode``,
    not above: a cold host imports this module (``HostReport``) and would pay milliseconds
    for an import it never uses."""
    import orjson

    if isinstance(message, Measurements):
        return orjson.dumps(message.to_wire()).decode()
    return orjson.dumps({"type": type(message).__name__, **asdict(message)}).decode()


def decode(line: Union[str, bytes]) -> Message:
    """The message on a line (as read: orjson takes the bytes without a copy to text);
    ValueError when it is not one."""
    import orjson

    data = orjson.loads(line)
    if not isinstance(data, dict):
        raise ValueError(f"not a protocol message: {line[:200]!r}")
    try:
        cls = _TYPES[data.pop("type")]
    except (KeyError, TypeError, AttributeError):
        raise ValueError(f"not a protocol message: {line[:200]!r}") from None
    if cls is Measurements:  # thousands of iterations a second in warm cells: no dacite
        try:
            return Measurements.from_wire(data)
        except (TypeError, AttributeError, OverflowError) as exc:  # odd JSON in odd places
            raise ValueError(f"malformed Measurements message: {exc}") from None
    try:
        return dacite.from_dict(cls, data, dacite.Config(cast=[tuple], strict=True))
    except dacite.DaciteError as exc:
        raise ValueError(f"malformed {cls.__name__} message: {exc}") from None


@dataclass(frozen=True)
class HostReport:
    """A host's account of one run (embedded engine in a fresh Python, or node), as JSON.

    Stamps are CLOCK_MONOTONIC nanoseconds (Python's ``perf_counter_ns``, node's
    ``process.hrtime.bigint()``), comparable with the launcher's; only a fresh host process
    sets them, and node sends them as strings (they exceed a JavaScript number's exact range).
    """

    exit_code: Optional[int]
    error: Optional[str]
    phases_ns: dict[str, int] = field(default_factory=dict)
    main_ns: Optional[int] = None
    """When the fresh host's own code began."""
    done_ns: Optional[int] = None
    """When the run was over, just before the fresh host exits."""
    cpu_ns: Optional[int] = None
    fuel: Optional[int] = None
    guest_memory_bytes: Optional[int] = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> HostReport:
        """The report in ``text``; ValueError when there is none. Read field by field, not
        by dacite: a running node host sends one per sample, and dacite takes 50-90 µs of
        the harness's time for it."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"a host report is a JSON object, not {text[:100]!r}")
        try:
            phases = data.get("phases_ns", {})
            error = data["error"]
            if not isinstance(phases, dict) or not isinstance(error, (str, type(None))):
                raise TypeError("phases_ns is an object, error a string or null")
            return cls(_int_or_none(data["exit_code"]), error,
                       {str(name): _int(ns) for name, ns in phases.items()},
                       **{name: _int_or_none(data.get(name)) for name in _OPTIONAL_NUMBERS})
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"malformed host report: {type(exc).__name__}: {exc}") from None


_OPTIONAL_NUMBERS = [f.name for f in fields(HostReport)][3:]
"""HostReport's optional integers: every field after the three read by name."""


def _int(value: object) -> int:
    """A number or a numeric string (node sends its stamps as strings), never a bool."""
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"not an integer: {value!r}")


def _int_or_none(value: object) -> Optional[int]:
    return None if value is None else _int(value)


@dataclass(frozen=True)
class NodeSpec:
    """How node_host.mjs runs a module: the file, argv and what the guest may see and write."""

    module: str
    argv: list[str]
    host_dir: str
    guest_dir: str
    stdout: str
    stderr: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))
