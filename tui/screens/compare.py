"""Compare: per benchmark every runtime side by side, the cold-start chart, Table 1, phases."""

from __future__ import annotations

from typing import ClassVar, Optional

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from engine import analysis
from engine.report.claims import claims
from engine.report.render import to_rich
from engine.report.tables import claims_table
from engine.run_model import RunModel
from engine.units import UNCLEAR, fmt_bytes, fmt_estimate, fmt_ns

from ..messages import ModelChanged
from ..widgets.chart import LogBars
from ..widgets.compare_table import CompareTable
from .tune import tune_cell


def compute_table(model: RunModel) -> Table:
    """Median per runtime with its ratio to native, like the study's Table 1."""
    runtimes = analysis.runtimes(model)
    builds = "; ".join(analysis.builds(model)) or "–"
    table = Table(expand=False, title=f"compute benchmarks: median (× native), {builds}",
                  caption=f"{UNCLEAR}: no clear difference (the ratio's 95% interval contains 1)")
    table.add_column("benchmark")
    for runtime in runtimes:
        table.add_column(runtime, justify="right")
    for label, rows in analysis.compute_rows(model):
        table.add_row(label, *(_median_and_ratio(rows.get(rt)) for rt in runtimes))
    return table


def _median_and_ratio(row: Optional[analysis.CompareRow]) -> str:
    if row is None:
        return "–"
    median, vs = fmt_ns(row.summary["median"]), row.vs["native"]
    return f"{median} ({fmt_estimate(vs, interval=False)})" if vs is not None else median


def footprint_table(model: RunModel) -> Table:
    """Both sides of every footprint: what is deployed per function, what the host must have."""
    table = Table(expand=False, title="footprint: the function + what the host must install",
                  caption="Docker counts the engine's binaries (and a base image); "
                          "WebAssembly runtimes their package or binary")
    for column in ("runtime", "benchmark", "function", "runtime installed", "total"):
        table.add_column(column, justify="left" if column in ("runtime", "benchmark")
                         else "right")
    seen = set()
    for cell in model.cells.values():
        key = (cell.runtime, cell.benchmark)
        if cell.footprint is None or key in seen:
            continue
        seen.add(key)
        table.add_row(cell.runtime, cell.benchmark, fmt_bytes(cell.artifact_bytes),
                      fmt_bytes(cell.runtime_bytes), fmt_bytes(cell.footprint))
    return table


def phase_table(model: RunModel) -> Table:
    """Median of each phase and its share of the median wall time: one column per phase."""
    medians = {cell.cell_id: analysis.phase_medians(cell) for cell in model.cells.values()}
    phases = list(dict.fromkeys(p for by_phase in medians.values() for p in by_phase))
    table = Table(expand=False, title="where the time goes (phase medians, share of wall)",
                  caption="cells whose runtime reports no phases are left out")
    table.add_column("cell", no_wrap=True)
    table.add_column("wall", justify="right")
    for phase in phases:
        table.add_column(phase, justify="right")
    for cell in (c for c in model.cells.values() if medians[c.cell_id]):
        wall = cell.quantile(50)
        table.add_row(cell.cell_id, fmt_ns(wall), *(
            f"{fmt_ns(ns)} {ns / wall:.0%}" if (ns := medians[cell.cell_id].get(p)) and wall
            else "–" for p in phases))
    return table


class CompareScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,v", "app.pop_screen", "Back"),
        Binding("r", "tune", "Re-run row"),
    ]

    def __init__(self, model: RunModel) -> None:
        super().__init__()
        self.model = model

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent():
            with TabPane("Latency", id="latency"):
                yield CompareTable(id="table")
            with TabPane("Start ladder", id="ladder"):
                yield LogBars(id="ladder-chart")
            with TabPane("Cold start", id="cold"):
                yield LogBars(id="chart")
            with TabPane("Compute", id="compute"), VerticalScroll():
                yield Static(id="compute-table")
            with TabPane("Phases", id="phases"), VerticalScroll():
                yield Static(id="phase-table")
            with TabPane("Footprint", id="footprint"), VerticalScroll():
                yield Static(id="footprint-table")
            with TabPane("Claims", id="claims"), VerticalScroll():
                yield Static(id="claims-table")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        table = self.query_one(CompareTable)
        row = table.cursor_row
        table.show(analysis.compare_rows(self.model))
        table.move_cursor(row=row)
        runtimes = analysis.runtimes(self.model)
        hosts = "; ".join(f"{rt} cold = {host}" for rt, host in
                          analysis.cold_hosts(self.model).items())
        self.query_one("#ladder-chart", LogBars).show(
            analysis.start_ladder(self.model), runtimes,
            "nop: cold / load / warm, median (log scale)" + (f" — {hosts}" if hosts else ""),
            "start ladder: run nop in cold, load and warm modes to see it")
        self.query_one("#chart", LogBars).show(
            analysis.cold_start(self.model), runtimes, "cold start, median (log scale)",
            "cold start: run nop or cat-sync in cold mode to see this chart")
        self.query_one("#compute-table", Static).update(compute_table(self.model))
        self.query_one("#phase-table", Static).update(phase_table(self.model))
        self.query_one("#footprint-table", Static).update(footprint_table(self.model))
        self.query_one("#claims-table", Static).update(
            to_rich(claims_table(claims(self.model))))

    def on_model_changed(self, message: ModelChanged) -> None:
        if self.is_current:
            self.redraw()

    def on_screen_resume(self) -> None:
        self.redraw()

    def selected_cell(self) -> Optional[str]:
        table = self.query_one(CompareTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_tune(self) -> None:
        if self.model is not getattr(self.app, "model", None):
            self.notify("this is a past run, opened from the history: start a new run to "
                        "measure again", severity="warning")
            return
        tune_cell(self, self.model, self.selected_cell())
