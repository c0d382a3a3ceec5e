"""What the controller and the worker say to each other: typed messages, one JSON line each.

The controller sends ``Prepare`` once per cell, then ``Invoke`` (for any number of iterations)
and ``Close``; the worker answers ``Prepared`` or ``Failed`` to a prepare and streams
``Measurements`` (batches of iterations, ``engine.measure.measurements``) to an invoke, ended
early by ``Stopped`` when the cell cannot go on. Each
line is a record of ``engine.serial`` tagged with its class name (``{"type": "Invoke", ...}``);
both ends build and read these classes, never dicts of their own.
"""

from __future__ import annotations

from typing import Optional, Union

from engine.measure.measurements import Measurements
from engine.runtimes.base import Job
from engine.serial import Record, decode, encode
from engine.spec.options import MAX_ITERATIONS
from engine.verify.expected import ReferenceSpec


class Prepare(Record, tag_field="type", tag=True):
    runtime: str
    job: Job
    reference: ReferenceSpec


class Invoke(Record, tag_field="type", tag=True):
    """Run ``count`` iterations back to back, answering each with a ``Measured`` as it ends
    (no round trip per iteration: the controller is not in the loop)."""

    count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 2 * MAX_ITERATIONS:  # a cell's warm-ups and iterations
            raise ValueError(f"count is {self.count}, not a number of iterations")


class Close(Record, tag_field="type", tag=True):
    """Release the runtime and exit."""


class Prepared(Record, tag_field="type", tag=True):
    artifact_bytes: Optional[int]
    """What is deployed per function (module, binary or image)."""
    runtime_bytes: Optional[int]
    """What the host must have installed to run it (engine package, binaries)."""
    reference: str
    """What outputs are checked against (``Expected.source``)."""


class Failed(Record, tag_field="type", tag=True):
    """The request could not be carried out; ``error`` says why, in one line."""

    error: str


class Stopped(Record, tag_field="type", tag=True):
    """After the iterations sent before it: the cell cannot go on (``CellStopped``), and the
    rest of the invoke is not run."""

    error: str
    recheck: bool = False
    """Later cells of the runtime must ask again whether it is available."""


Message = Union[Prepare, Invoke, Close, Prepared, Failed, Stopped, Measurements]
"""What crosses the pipe."""


def encode_message(message: Message) -> bytes:
    """One line of JSON (no newline)."""
    return encode(message)


def decode_message(line: Union[str, bytes]) -> Message:
    """The message on a line; ``serial.SerialError`` (a ValueError) when it is not one."""
    return decode(line, Message)  # type: ignore[no-any-return]
