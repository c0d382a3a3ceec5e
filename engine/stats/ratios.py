"""What a ratio may compare, decided once for the CLI tables, the dashboard and the reports.

A ratio is only taken within one benchmark and size, between cells of the same mode. "× docker"
divides by Docker's median in that mode; "× native" by native's. A baseline runtime without a
mode (native has no load mode: loading a native function means starting it) is represented by
the mode its results say it equals (``CellFinished.same_as``), and by nothing else. Every ratio
is ``stats.ratio_estimate``: the ratio of medians with its bootstrap interval.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from engine.stats.summary import RatioEstimate, ratio_estimate

BASELINES = ("docker", "native")


@dataclass(frozen=True)
class Figure:
    """One cell of one benchmark: its runtime, mode and measured ok values (wall ns)."""

    runtime: str
    mode: str
    values: Sequence[float]
    same_as: Optional[str] = None


def baseline_values(figures: Sequence[Figure], runtime: str, mode: str) -> Sequence[float]:
    """``runtime``'s values in ``mode``, or in the mode that stands in for it (none: empty)."""
    by_key = {(f.runtime, f.mode): f for f in figures}
    figure = by_key.get((runtime, mode))
    if figure is not None and figure.same_as is not None:
        figure = by_key.get((runtime, figure.same_as))
    return figure.values if figure is not None else ()


def ratios(figures: Sequence[Figure]) -> list[dict[str, Optional[RatioEstimate]]]:
    """For each figure (all of one benchmark and size), its median over each baseline's; a
    baseline has no ratio to itself."""
    return [{base: cached_ratio(f.values, baseline_values(figures, base, f.mode))
             if f.runtime != base else None for base in BASELINES} for f in figures]


def cached_ratio(values: Sequence[float], baseline: Sequence[float]) -> Optional[RatioEstimate]:
    """``ratio_estimate``, once per pair of sample sets: the dashboard redraws often."""
    return _cached_ratio(tuple(values), tuple(baseline))


@functools.lru_cache(maxsize=1024)
def _cached_ratio(values: tuple[float, ...], baseline: tuple[float, ...]
                  ) -> Optional[RatioEstimate]:
    return ratio_estimate(values, baseline)
