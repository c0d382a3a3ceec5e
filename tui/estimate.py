"""How long a run will take, from earlier results files: honest, and labelled an estimate.

Per cell: the median wall time of the last results for the same runtime, benchmark, mode and
size, times the iterations. Cells never measured before are counted and named as unknown
rather than guessed.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from pathlib import Path

from engine.plan import Cell
from engine.results import read_results

Key = tuple[str, str, str, int]
"""runtime, benchmark, mode, size"""
MAX_FILES = 50


def load_history(directory: Path) -> dict[Key, float]:
    """Median wall time per (runtime, benchmark, mode, size); newer files win."""
    files = sorted(directory.glob("*.jsonl"), key=lambda p: p.stat().st_mtime)[-MAX_FILES:]
    history: dict[Key, float] = {}
    for path in files:
        walls: dict[Key, list[int]] = {}
        for row in read_results(path):
            if row.get("event") == "sample_recorded" and row.get("ok") and not row.get("warmup"):
                key = (row["runtime"], row["benchmark"], row["mode"], row["size"])
                walls.setdefault(key, []).append(row["wall_ns"])
        history.update({k: statistics.median(v) for k, v in walls.items()})
    return history


def estimate(cells: Iterable[Cell], history: dict[Key, float]) -> tuple[float, int]:
    """(seconds for the known cells, warm-ups included; number of cells without history)."""
    seconds, unknown = 0.0, 0
    for cell in cells:
        median = history.get((cell.runtime, cell.benchmark, cell.mode, cell.size))
        if median is None:
            unknown += 1
        else:
            seconds += median * (cell.warmup + cell.iterations) / 1e9
    return seconds, unknown


def describe(seconds: float, unknown: int, total: int) -> str:
    """The estimate as one line for the setup screen."""
    if total == 0:
        return "estimate: nothing selected"
    if unknown == total:
        return f"estimate: unknown ({total} cells never measured here before)"
    text = f"estimate: ~{seconds:.1f} s of guest time" if seconds < 120 else \
        f"estimate: ~{seconds / 60:.1f} min of guest time"
    return text + (f" (+{unknown} cells never measured)" if unknown else "")
