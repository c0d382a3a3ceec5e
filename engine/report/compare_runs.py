"""Two runs compared: per cell present in both, how B's median compares with A's.

A cell is the same cell in both runs only when runtime, benchmark, size and mode agree (a ratio
is only taken like for like); the rest is listed as present in one run only. The change is
B's median over A's with its bootstrap interval (``engine.stats.summary.ratio_estimate``, the one
rule every ratio follows). Shared by ``faasbench compare`` and the dashboard's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from engine.report.units import fmt_interval, fmt_ns, fmt_ratio
from engine.stats.summary import RatioEstimate, ratio_estimate
from engine.store.run_model import CellState, RunModel

CellKey = tuple[str, str, int, str]
"""runtime, benchmark, size, mode"""


@dataclass(frozen=True)
class CellChange:
    """One cell planned in both runs: its medians (None without ok samples) and B / A."""

    key: CellKey
    median_a: Optional[float]
    median_b: Optional[float]
    change: Optional[RatioEstimate]

    @property
    def verdict(self) -> str:
        """"faster" / "slower" when the interval excludes 1, else "no clear difference"."""
        if self.change is None:
            missing = [run for run, median in (("A", self.median_a), ("B", self.median_b))
                       if median is None]
            return (f"{' and '.join(missing)} without ok samples" if missing
                    else "no ratio: A's median is 0")
        if not self.change.clear:
            return "no clear difference"
        return "slower" if self.change.ratio > 1 else "faster"


@dataclass(frozen=True)
class RunComparison:
    """What ``compare_runs`` found: the cells of both runs, and those only one of them has."""

    both: list[CellChange]
    only_a: list[CellKey]
    only_b: list[CellKey]

    def headline(self, id_a: str, id_b: str) -> str:
        if not self.both:
            return (f"{id_a} and {id_b} have no cell in common (same runtime, benchmark, size "
                    "and mode)")
        return f"A = {id_a}, B = {id_b}: B's median over A's, bootstrap 95% interval"

    def only_lines(self, id_a: str, id_b: str) -> list[str]:
        """The cells one run has and the other lacks, a line per run."""
        return [f"only in {run_id}: " + ", ".join(cell_name(key) for key in keys)
                for run_id, keys in ((id_a, self.only_a), (id_b, self.only_b)) if keys]


CHANGE_COLUMNS = ("cell", "size", "median A", "median B", "B / A", "95% interval", "verdict")


def change_row(change: CellChange) -> list[str]:
    """One cell's ``CHANGE_COLUMNS`` as text, for the CLI's table and the dashboard's."""
    runtime, benchmark, size, mode = change.key
    estimate = change.change
    return [f"{runtime}/{benchmark}/{mode}", str(size), fmt_ns(change.median_a),
            fmt_ns(change.median_b), fmt_ratio(estimate.ratio) if estimate else "–",
            fmt_interval(estimate),
            change.verdict]


def cell_name(key: CellKey) -> str:
    runtime, benchmark, size, mode = key
    return f"{runtime}/{benchmark}/{mode} (size {size})"


def _measured(model: RunModel) -> dict[CellKey, CellState]:
    """Cells that ran (a mode that only stands in for another has nothing of its own)."""
    return {(c.runtime, c.benchmark, c.size, c.mode): c for c in model.cells.values()
            if c.same_as is None}


def compare_runs(a: RunModel, b: RunModel) -> RunComparison:
    """Cells of both runs in A's order, then what only one of them has."""
    cells_a, cells_b = _measured(a), _measured(b)
    both = [CellChange(key, cell.quantile(50), cells_b[key].quantile(50),
                       ratio_estimate(cells_b[key].wall_ns, cell.wall_ns))
            for key, cell in cells_a.items() if key in cells_b]
    return RunComparison(both, [k for k in cells_a if k not in cells_b],
                   [k for k in cells_b if k not in cells_a])
