"""How long a run will take, from earlier results files: honest, and labelled an estimate.

Per cell: the median wall time of the last results for the same runtime, benchmark and mode,
times the iterations. A size never measured before is scaled from the nearest measured size by
the program's amount of work (``Benchmark.work``: nbody is linear in steps, mandelbrot quadratic
in its width, fannkuch-redux grows as n·n!, binary-trees as 2^depth, cat-sync with the bytes).
Cells of a runtime, benchmark and mode never measured at all are counted and named as unknown
rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Optional

from engine.spec.benchmarks import BENCHMARKS
from engine.spec.plan import Cell
from engine.store.events import CellFinished, line_prefix
from engine.store.results import parse_line

Key = tuple[str, str, str, int]
"""runtime, benchmark, mode, size"""
MAX_FILES = 50
_CELL_FINISHED = line_prefix(CellFinished)
CONFIRM_PRESETS = ("paper",)
"""Presets long enough that the CLI and the dashboard ask before starting."""

def load_history(directory: Path) -> dict[Key, float]:
    """Median wall time per (runtime, benchmark, mode, size); newer files win. Only the
    ``cell_finished`` lines are parsed (their summaries hold the medians): the dashboard reads
    this at start, and a file's sample lines are nearly all of it."""
    files = sorted(directory.glob("*.jsonl"), key=lambda p: p.stat().st_mtime)[-MAX_FILES:]
    history: dict[Key, float] = {}
    for path in files:
        with path.open("rb") as fh:
            for raw in fh:
                if not raw.startswith(_CELL_FINISHED):
                    continue
                try:
                    event = parse_line(raw)
                except ValueError:
                    continue  # a damaged line: the estimate does without it
                median = event.summary.get("median") if isinstance(event, CellFinished) \
                    else None
                if median is not None:
                    history[(event.runtime, event.benchmark, event.mode, event.size)] = median
    return history


def cell_median(cell: Cell, history: dict[Key, float]) -> Optional[float]:
    """The cell's expected median in ns: measured at its size, else scaled from the nearest."""
    exact = history.get((cell.runtime, cell.benchmark, cell.mode, cell.size))
    if exact is not None:
        return exact
    known = {size: ns for (rt, bench, mode, size), ns in history.items()
             if (rt, bench, mode) == (cell.runtime, cell.benchmark, cell.mode)}
    if not known:
        return None
    nearest = min(known, key=lambda size: abs(size - cell.size))
    bench = BENCHMARKS.get(cell.benchmark)
    work = bench.work if bench is not None else None
    if work is None or work(nearest) <= 0:
        return known[nearest]
    return known[nearest] * work(cell.size) / work(nearest)


def estimate(cells: Iterable[Cell], history: dict[Key, float]) -> tuple[float, int]:
    """(seconds for the known cells, warm-ups included; number of cells without history)."""
    seconds, unknown = 0.0, 0
    for cell in cells:
        median = cell_median(cell, history)
        if median is None:
            unknown += 1
        else:
            seconds += median * (cell.warmup + cell.iterations) / 1e9
    return seconds, unknown


def fmt_duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def describe(seconds: float, unknown: int, total: int) -> str:
    """The estimate as one line (setup screen, confirmation)."""
    if total == 0:
        return "estimate: nothing selected"
    if unknown == total:
        return f"estimate: unknown ({total} cells never measured here before)"
    return (f"estimate: ~{fmt_duration(seconds)} of guest time"
            + (f" (+{unknown} cells never measured)" if unknown else ""))


def plan_estimate(cells: list[Cell]) -> str:
    """The estimate for a plan from this machine's earlier runs, as one line."""
    from engine import paths

    seconds, unknown = estimate(cells, load_history(paths.data_dir() / "results"))
    return describe(seconds, unknown, len(cells))
