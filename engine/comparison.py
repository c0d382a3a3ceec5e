"""What a ratio may compare, decided once for the CLI tables and the dashboard.

A ratio is only taken within one benchmark and size, between cells of the same mode. "× docker"
divides by Docker's median in that mode; "× native" by native's. A baseline runtime without a
mode (native has no load mode: loading a native function means starting it) is represented by
the mode its results say it equals (``CellFinished.same_as``), and by nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from .stats import ratio

BASELINES = ("docker", "native")


@dataclass(frozen=True)
class Figure:
    """One cell of one benchmark: its runtime, mode and median (None when it has none)."""

    runtime: str
    mode: str
    median: Optional[float]
    same_as: Optional[str] = None


def baseline_median(figures: Sequence[Figure], runtime: str, mode: str) -> Optional[float]:
    """``runtime``'s median in ``mode``, or in the mode that stands in for it."""
    by_key = {(f.runtime, f.mode): f for f in figures}
    figure = by_key.get((runtime, mode))
    if figure is not None and figure.same_as is not None:
        figure = by_key.get((runtime, figure.same_as))
    return figure.median if figure is not None else None


def ratios(figures: Sequence[Figure]) -> list[dict[str, Optional[float]]]:
    """For each figure (all of one benchmark and size), its median over each baseline's."""
    return [{base: ratio(f.median, baseline_median(figures, base, f.mode))
             for base in BASELINES} for f in figures]
