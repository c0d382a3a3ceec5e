"""The side-by-side table: per benchmark and mode, every runtime with ratios and the winner."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from engine.report.analysis import SideBySideRow
from engine.report.billing import load_price_model
from engine.report.cost_table import usage_cost
from engine.report.units import fmt_estimate, fmt_ns
from engine.store.run_model import CellState

COLUMNS = ("benchmark", "mode", "runtime", "median", "× docker", "× native", "n", "mean ± sd",
           "$ per 1M calls")
"""Ratios before the spread: at 80 columns they are what must stay on screen. A ratio shows its
95% interval; "≈" marks one whose interval contains 1. Last, what a million invocations would
cost under CPU-time and fuel billing (``engine.report.billing``'s shipped prices), when
measured."""


class SideBySideTable(DataTable):
    """Rows are keyed by cell id so the selected row can be re-run."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns(*COLUMNS)
        self.prices = load_price_model()
        self.costs: dict[tuple[str, int], str] = {}
        """Per cell and sample count: a cell's cost is worked out once per new sample."""

    def cost(self, cell: CellState) -> str:
        key = (cell.cell_id, len(cell.samples))
        if key not in self.costs:
            self.costs[key] = usage_cost(cell.samples, self.prices)
        return self.costs[key]

    def show(self, groups: list[list[SideBySideRow]]) -> None:
        self.clear()
        for group in groups:
            for index, row in enumerate(group):
                s, cell = row.summary, row.cell
                style = "bold green" if row.winner else ""
                spread = f"{fmt_ns(s['mean'])} ± {fmt_ns(s['sd'])}" if s["n"] else "–"
                label = f"{cell.runtime} ({cell.cold_process})" if cell.cold_process \
                    else cell.runtime
                label = f"{label} @ {cell.host}" if cell.host else label
                median = f"= {cell.same_as}" if cell.same_as else fmt_ns(s["median"])
                self.add_row(
                    cell.benchmark if index == 0 else "", cell.mode if index == 0 else "",
                    Text(("★ " if row.winner else "  ") + label, style=style),
                    Text(median, style=style, justify="right"),
                    Text(fmt_estimate(row.vs["docker"]), justify="right"),
                    Text(fmt_estimate(row.vs["native"]), justify="right"),
                    Text(str(s["n"]) + (f" ({cell.failed}✗)" if cell.failed else ""),
                         justify="right"),
                    Text(spread, justify="right"),
                    Text(self.cost(cell), justify="right"),
                    key=cell.cell_id)
