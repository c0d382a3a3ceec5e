"""Iterations on their way from the worker to the controller: gathered in a ``Batch``, sent as
one ``Measurements`` message, handed out again one ``Measured`` at a time.

A batch is column by column: a column per ``Invocation`` field, ``phases_ns`` a column per phase
(None where an iteration lacks it), and ``ok``. On the wire a column of one repeated value is a
``Same*`` record and whole numbers served back to back (``Runtime.serve_many``) stay packed as
int64 bytes (``Packed``, native byte order: the worker and the controller share a machine), so a
batch costs the worker microseconds, not a fraction of a microsecond per value.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any, NamedTuple, Optional, Union

from engine.runtimes.base import Invocation, Served
from engine.serial import Record

MAX_BATCH = 1 << 20
"""Iterations in one ``Measurements`` at most (a bound on what a malformed line may ask for)."""


class Measured(NamedTuple):
    """One iteration: what the runtime measured, and whether the output matched (a tuple:
    thousands are made a second)."""

    invocation: Invocation
    ok: bool


class SameInt(Record, tag_field="kind", tag="same"):
    value: int


class SameNumber(Record, tag_field="kind", tag="same-or-none"):
    value: Optional[int]


class SameText(Record, tag_field="kind", tag="same-text"):
    value: Optional[str]


class SameFlag(Record, tag_field="kind", tag="same-flag"):
    value: bool


class Packed(Record, tag_field="kind", tag="packed"):
    """Whole numbers as int64 bytes (base64 in JSON)."""

    data: bytes


IntColumn = Union[list[int], SameInt, Packed]
NumberColumn = Union[list[Optional[int]], SameNumber, Packed]
TextColumn = Union[list[Optional[str]], SameText]
FlagColumn = Union[list[bool], SameFlag]
Column = Union[list[Any], "array[int]"]
"""A column being gathered: a list, or whole numbers packed as ``array('q')``."""

_SAME = {"wall_ns": SameInt, "error": SameText, "ok": SameFlag}
"""Each column's ``Same*`` record; the other columns hold whole numbers or None."""


class Measurements(Record, tag_field="type", tag="Measurements"):
    """``n`` iterations that ended back to back, in order: one line (and one wake-up of the
    controller) for many."""

    n: int
    sent_ns: int
    """When the worker sent the batch (``time.monotonic_ns``: every process on the machine
    shares the clock): where the measuring of its last iteration ends."""
    wall_ns: IntColumn
    exit_code: NumberColumn
    cpu_ns: NumberColumn
    peak_rss_bytes: NumberColumn
    phases_ns: dict[str, NumberColumn]
    fuel: NumberColumn
    guest_memory_bytes: NumberColumn
    error: TextColumn
    ok: FlagColumn

    def __post_init__(self) -> None:
        if not 1 <= self.n <= MAX_BATCH:
            raise ValueError(f"n is {self.n}, not a count of iterations from 1 to {MAX_BATCH}")
        if self.sent_ns < 0:
            raise ValueError(f"sent_ns is {self.sent_ns}")
        for name, column in self._columns():
            length = len(column.data) // 8 if isinstance(column, Packed) else \
                len(column) if isinstance(column, list) else self.n
            if length != self.n or (isinstance(column, Packed) and len(column.data) % 8):
                raise ValueError(f"a column ({name}) of {length} values in a batch of {self.n}")

    def _columns(self) -> list[tuple[str, Any]]:
        return [*((name, getattr(self, name)) for name in _SCALARS), ("ok", self.ok),
                *self.phases_ns.items()]

    def items(self) -> list[Measured]:
        """One ``Measured`` per iteration (the controller's view)."""
        scalars = [_values(getattr(self, name), self.n) for name in _SCALARS]
        phases = {name: _values(column, self.n) for name, column in self.phases_ns.items()}
        rows = [{name: ns for name, ns in zip(phases, row) if ns is not None}
                for row in zip(*phases.values())] if phases else [{} for _ in range(self.n)]
        return [Measured(Invocation(**dict(zip(_SCALARS, row)), phases_ns=row_phases), ok)
                for *row, row_phases, ok in zip(*scalars, rows, _values(self.ok, self.n))]


_SCALARS = ["wall_ns", "exit_code", "cpu_ns", "peak_rss_bytes", "fuel", "guest_memory_bytes",
            "error"]
"""``Invocation``'s fields that are one value per iteration (``phases_ns`` is a column each)."""


def _values(column: Any, length: int) -> Sequence[Any]:
    if isinstance(column, Packed):
        packed = array("q")
        packed.frombytes(column.data)
        return packed
    if isinstance(column, list):
        return column
    return [column.value] * length


class Batch:
    """Iterations gathered in the worker, column by column, until they are sent."""

    def __init__(self) -> None:
        self.columns: dict[str, Any] = {**{name: [] for name in (*_SCALARS, "ok")},
                                        "phases_ns": {}}

    @classmethod
    def of(cls, items: Sequence[Measured]) -> Batch:
        batch = cls()
        for item in items:
            batch.add(item)
        return batch

    def __len__(self) -> int:
        return len(self.columns["ok"])

    def add(self, item: Measured) -> None:
        inv = item.invocation
        self._extend({**{name: [getattr(inv, name)] for name in _SCALARS},
                      "phases_ns": {name: [ns] for name, ns in inv.phases_ns.items()},
                      "ok": [item.ok]}, 1)

    def add_served(self, served: Served, last_ok: bool) -> None:
        """Add ``Runtime.serve_many``'s requests (all correct but the last, whose output check
        is ``last_ok``), keeping packed columns packed."""
        count = served.count - 1
        self._extend({"exit_code": [0] * count, "error": [None] * count,
                      "peak_rss_bytes": [None] * count, **served.clean, "ok": [True] * count},
                     count)
        self.add(Measured(served.last, last_ok))

    def _extend(self, columns: dict[str, Any], count: int) -> None:
        """Append ``count`` iterations given as columns; a phase either side lacks is None."""
        before, phases = len(self), self.columns["phases_ns"]
        for name in (*_SCALARS, "ok"):
            self.columns[name] = _extended(self.columns[name], columns[name])
        for name in columns["phases_ns"].keys() - phases.keys():
            phases[name] = [None] * before
        for name, column in phases.items():
            phases[name] = _extended(column, columns["phases_ns"].get(name, [None] * count))

    def message(self, sent_ns: int, peak_rss_bytes: Optional[int] = None) -> Measurements:
        """The batch as sent at ``sent_ns``; ``peak_rss_bytes``, when given, is every
        iteration's (the batch's window, ``Runtime.peak_window``)."""
        columns = {name: _wire(name, self.columns[name]) for name in (*_SCALARS, "ok")}
        if peak_rss_bytes is not None:
            columns["peak_rss_bytes"] = SameNumber(peak_rss_bytes)
        return Measurements(len(self), sent_ns, phases_ns={
            name: _wire(name, column) for name, column in self.columns["phases_ns"].items()},
            **columns)


def _extended(column: Column, values: Column) -> Column:
    """``column`` followed by ``values``: packed while every value is a whole number (an empty
    column takes a packed one's packing), a list once one is None."""
    if isinstance(values, array) and not column:
        return array("q", values)
    if isinstance(column, array) and None in values:
        column = column.tolist()
    column.extend(values)
    return column


def _wire(name: str, column: Column) -> Any:
    if isinstance(column, array):
        return Packed(column.tobytes())
    if column and column.count(column[0]) == len(column):  # counted in C; most columns are
        return _SAME.get(name, SameNumber)(column[0])
    return column
