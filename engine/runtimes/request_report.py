"""A process's account of one request it ran: a fresh process for a cold sample (Python with an
embedded engine, or node) or node's server. One JSON line (``engine.serial``), read back whole
or refused."""

from __future__ import annotations

from typing import Optional, Union

from engine import serial
from engine.serial import Record, field


class RequestReport(Record):
    """What the process saw of the guest's run, and its own stamps.

    Stamps are CLOCK_MONOTONIC nanoseconds (Python's ``perf_counter_ns``, node's
    ``process.hrtime.bigint()``, written as exact JSON integers), comparable with the
    launcher's; only a fresh process sets them.
    """

    exit_code: Optional[int]
    error: Optional[str]
    phases_ns: dict[str, int] = field(default_factory=dict)
    main_ns: Optional[int] = None
    """When the fresh process's own code began."""
    done_ns: Optional[int] = None
    """When the run was over, just before the fresh process exits."""
    cpu_ns: Optional[int] = None
    fuel: Optional[int] = None
    guest_memory_bytes: Optional[int] = None

    def to_json(self) -> bytes:
        return serial.encode(self)

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> RequestReport:
        """The report in ``text``; ``serial.SerialError`` (a ValueError) when there is none."""
        return serial.decode(text, cls)  # type: ignore[no-any-return]
