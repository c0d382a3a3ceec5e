"""One ``Verdict`` for every claim of the study, whatever it is judged on (a run's samples, a
scale run's steps): what was claimed, what the measurements say, and why."""

from __future__ import annotations

from typing import Any, Optional

from engine import serial
from engine.serial import Record, field
from engine.terms import VerdictWord


class Verdict(Record):
    """One claim judged on one run (and one mode, for start claims)."""

    id: str
    claim: str
    verdict: VerdictWord
    figure: str = ""
    compares: str = ""
    mode: str = ""
    interval: Optional[list[float]] = None
    why: str = ""
    runs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return serial.to_builtins(self)  # type: ignore[no-any-return]


def runtime_kind(name: str) -> str:
    """``wasm``, ``container`` or ``native`` from the runtime registry (unknown names: "")."""
    from engine import runtimes

    try:
        return runtimes.get(name).kind
    except (ValueError, ImportError, AttributeError):
        return ""
