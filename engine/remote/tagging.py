"""Events of a run on several hosts, in one stream: each JSON line carries ``"host"``.

Results files stay one per host and untagged (each is an ordinary results file); only the
merged stream of ``faasbench run --host ... --json`` tags its lines, so the dashboard can group
cells by host. Reading an event ignores the tag, so untagged readers still work.
"""

from __future__ import annotations

from typing import Optional, Union

from engine import serial
from engine.serial import Record
from engine.store.events import Event, from_json

TAG = "host"


class _Tag(Record, forbid_unknown_fields=False):
    host: Optional[str] = None


def tagged_json(host: str, event: Event) -> str:
    """The event's line with its host."""
    return serial.encode({**event.to_dict(), TAG: host}).decode()


def untag(line: Union[bytes, str]) -> tuple[Optional[str], Event]:
    """The host a line came from (None for a single-host stream) and its event;
    ``serial.SerialError`` (a ValueError) when it is not one."""
    return serial.decode(line, _Tag).host, from_json(line)
