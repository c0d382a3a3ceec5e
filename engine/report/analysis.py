"""The compare view's and the reports' numbers: pure functions over the model, nothing re-runs.

Ratios follow ``engine.comparison`` (the same rule as the CLI tables): within one benchmark
and mode, against docker's and native's medians, a baseline without that mode represented by
the mode its results say it equals. The winner of a group is the lowest median.
"""

from __future__ import annotations

import functools
import statistics
from dataclasses import dataclass
from typing import Any, Optional

from engine.spec.benchmarks import COMPUTE_BENCHMARKS, START_BENCHMARKS
from engine.stats.ratios import Figure, ratios
from engine.stats.summary import RatioEstimate, summarize
from engine.store.run_model import CellState, RunModel
from engine.terms import MODES


@dataclass(frozen=True)
class SideBySideRow:
    """One runtime in one benchmark x mode group."""

    cell: CellState
    summary: dict[str, Any]
    vs: dict[str, Optional[RatioEstimate]]
    winner: bool


def _groups(model: RunModel) -> dict[tuple[str, str], list[CellState]]:
    groups: dict[tuple[str, str], list[CellState]] = {}
    for cell in model.cells.values():
        groups.setdefault((cell.benchmark, cell.mode), []).append(cell)
    return dict(sorted(groups.items(), key=lambda kv: (_bench_order(model, kv[0][0]), kv[0][1])))


def _bench_order(model: RunModel, bench: str) -> int:
    return list(dict.fromkeys(c.benchmark for c in model.cells.values())).index(bench)


@functools.lru_cache(maxsize=1024)
def _summary(values: tuple[int, ...]) -> dict[str, Any]:
    """Summaries are redrawn often (live runs); the bootstrap in them runs once per sample set."""
    return summarize(values)


def side_by_side_rows(model: RunModel) -> list[list[SideBySideRow]]:
    """Per benchmark x mode group, every runtime side by side."""
    summaries = {cell_id: _summary(tuple(c.wall_ns)) for cell_id, c in model.cells.items()}
    vs: dict[str, dict[str, Optional[RatioEstimate]]] = {}
    for host, bench in dict.fromkeys((c.host, c.benchmark) for c in model.cells.values()):
        cells = [c for c in model.cells.values()  # ratios within one host, never across
                 if c.benchmark == bench and c.host == host]
        figures = [Figure(c.runtime, c.mode, c.wall_ns, c.same_as) for c in cells]
        vs.update(zip((c.cell_id for c in cells), ratios(figures)))
    result = []
    for cells in _groups(model).values():
        medians = [m for c in cells if (m := summaries[c.cell_id]["median"]) is not None]
        best = min(medians) if len(medians) > 1 else None
        result.append([SideBySideRow(c, summaries[c.cell_id], vs[c.cell_id],
                                  best is not None and summaries[c.cell_id]["median"] == best)
                       for c in cells])
    return result


def runtimes(model: RunModel) -> list[str]:
    return list(dict.fromkeys(c.runtime for c in model.cells.values()))


def cold_start(model: RunModel) -> dict[str, dict[str, float]]:
    """Cold-mode median per benchmark (nop, cat-sync) per runtime, as in the study's figures."""
    series: dict[str, dict[str, float]] = {}
    for cell in model.cells.values():
        if cell.mode == "cold" and cell.benchmark in START_BENCHMARKS and cell.wall_ns:
            series.setdefault(cell.benchmark, {})[cell.runtime] = statistics.median(cell.wall_ns)
    return series


def start_ladder(model: RunModel, benchmark: str = "nop") -> dict[str, dict[str, float]]:
    """Per mode (cold, load, warm), each runtime's median for ``benchmark``: how far each way
    of starting a function is from the next. A mode a runtime lacks shows the mode that
    stands in for it, as its results say."""
    cells = {(c.runtime, c.mode): c for c in model.cells.values() if c.benchmark == benchmark}
    ladder: dict[str, dict[str, float]] = {}
    for (runtime, mode), cell in cells.items():
        shown = cells.get((runtime, cell.same_as)) if cell.same_as else cell
        if shown is not None and shown.wall_ns:
            ladder.setdefault(mode, {})[runtime] = statistics.median(shown.wall_ns)
    return {mode: ladder[mode] for mode in MODES if mode in ladder}


def cold_processes(model: RunModel) -> dict[str, str]:
    """Runtime → what its cold start launched, where that is not the runtime itself."""
    return {c.runtime: c.cold_process for c in model.cells.values() if c.cold_process}


def compute_rows(model: RunModel) -> list[tuple[str, dict[str, SideBySideRow]]]:
    """Like the study's Table 1: per compute benchmark x mode, each runtime's compare row (its
    median and its ratios, from ``side_by_side_rows``)."""
    return [(f"{group[0].cell.benchmark} {group[0].cell.size} ({group[0].cell.mode})",
             {row.cell.runtime: row for row in group})
            for group in side_by_side_rows(model) if group[0].cell.benchmark in COMPUTE_BENCHMARKS]


def builds(model: RunModel) -> list[str]:
    """How the compute cells' programs were built (profile and native C library): the
    programs differ between builds, so the compute table names them."""
    return sorted({f"profile {s.flags.profile}, native {s.flags.libc}"
                   for cell, s in model.plans.values() if cell.benchmark in COMPUTE_BENCHMARKS})


def phase_medians(cell: CellState) -> dict[str, float]:
    """Median of each phase the runtime reported (compile/instantiate/execute, ...)."""
    return {phase: statistics.median(values) for phase, values in cell.phases_ns.items()}


@dataclass(frozen=True)
class Harness:
    """What a cell's measuring cost beyond its samples: the time from its first request to
    the worker's sending of its last sample against the sum of its samples' wall times
    (warm-ups and failures included). The rest is the harness: clocks, output checks,
    batching, the pipe, and a fresh worker after a lost one."""

    samples: int
    measuring_ns: float
    in_samples_ns: int
    per_sample_ns: float
    over_samples: Optional[float]
    """Measuring time over the samples' own: the harness alone, 1.0 if it cost nothing (None
    when the samples record no time)."""
    over_median: Optional[float]
    """Measuring time over samples x median: 1.0 if every sample took the median and the
    harness nothing; above ``over_samples`` by the samples' own mean over their median (None
    without an ok sample)."""


def harness(cell: CellState) -> Optional[Harness]:
    """The cell's harness figures, once it has finished with samples. None before, for
    results recorded before cells carried their measuring time, and for a cancelled cell
    (the iteration it cut off was measured but never recorded)."""
    if cell.measure_seconds is None or not cell.samples or cell.status == "cancelled":
        return None
    count = len(cell.samples)
    measuring = cell.measure_seconds * 1e9
    in_samples = sum(s.wall_ns for s in cell.samples)
    median = cell.quantile(50)
    return Harness(count, measuring, in_samples, (measuring - in_samples) / count,
                   measuring / in_samples if in_samples else None,
                   measuring / (count * median) if median else None)
