"""The compare view's numbers: pure functions over the model, nothing re-runs.

Ratios compare medians within the same benchmark and mode; "docker" and "native" are the
baselines when they were run. The winner of a group is the lowest median.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, Optional

from engine.stats import ratio, summarize

from .model import CellState, RunModel

BASELINES = ("docker", "native")
COLD_START_BENCHMARKS = ("nop", "cat-sync")
COMPUTE_BENCHMARKS = ("nbody", "fannkuch-redux", "mandelbrot", "binary-trees")


@dataclass(frozen=True)
class CompareRow:
    """One runtime in one benchmark x mode group."""

    cell: CellState
    summary: dict[str, Any]
    vs: dict[str, Optional[float]]
    winner: bool


def _groups(model: RunModel) -> dict[tuple[str, str], list[CellState]]:
    groups: dict[tuple[str, str], list[CellState]] = {}
    for cell in model.cells.values():
        groups.setdefault((cell.benchmark, cell.mode), []).append(cell)
    return dict(sorted(groups.items(), key=lambda kv: (_bench_order(model, kv[0][0]), kv[0][1])))


def _bench_order(model: RunModel, bench: str) -> int:
    return list(dict.fromkeys(c.benchmark for c in model.cells.values())).index(bench)


def compare_rows(model: RunModel) -> list[list[CompareRow]]:
    """Per benchmark x mode group, every runtime side by side."""
    result = []
    for cells in _groups(model).values():
        summaries = {c.runtime: summarize(c.wall_ns) for c in cells}
        medians = {rt: s["median"] for rt, s in summaries.items() if s["median"] is not None}
        best = min(medians.values()) if medians else None
        result.append([
            CompareRow(c, summaries[c.runtime],
                       {b: ratio(summaries[c.runtime]["median"], medians.get(b))
                        for b in BASELINES},
                       best is not None and medians.get(c.runtime) == best and len(medians) > 1)
            for c in cells])
    return result


def runtimes(model: RunModel) -> list[str]:
    return list(dict.fromkeys(c.runtime for c in model.cells.values()))


def cold_start(model: RunModel) -> dict[str, dict[str, float]]:
    """Cold-mode median per benchmark (nop, cat-sync) per runtime, as in the study's figures."""
    series: dict[str, dict[str, float]] = {}
    for cell in model.cells.values():
        if cell.mode == "cold" and cell.benchmark in COLD_START_BENCHMARKS and cell.wall_ns:
            series.setdefault(cell.benchmark, {})[cell.runtime] = statistics.median(cell.wall_ns)
    return series


def compute_rows(model: RunModel) -> list[tuple[str, dict[str, Optional[float]]]]:
    """Like the study's Table 1: per compute benchmark x mode, each runtime's median."""
    rows = []
    for (bench, mode), cells in _groups(model).items():
        if bench in COMPUTE_BENCHMARKS:
            size = cells[0].size
            rows.append((f"{bench} {size} ({mode})",
                         {c.runtime: summarize(c.wall_ns)["median"] for c in cells}))
    return rows


def profiles(model: RunModel) -> list[str]:
    """The build profiles of the compute cells shown (the programs differ between them)."""
    return sorted({settings.flags.profile for cell, settings in model.plans.values()
                   if cell.benchmark in COMPUTE_BENCHMARKS})


def phase_medians(cell: CellState) -> dict[str, float]:
    """Median of each phase the runtime reported (compile/instantiate/execute, ...)."""
    return {phase: statistics.median(values) for phase, values in cell.phases_ns.items()}
