"""Side by side: per benchmark every runtime, the start ladder and cold-start charts, Table 1,
phases, footprint, the study's claims (with (f) from the latest scale run kept and (g) from the
run's samples), and the hosts side by side for a run on several."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Optional, Union

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from engine.report import analysis
from engine.report.billing import load_price_model
from engine.report.claims import claims
from engine.report.hosts import cells_by_host, host_rows, host_table
from engine.report.render import to_rich
from engine.report.tables import claims_table
from engine.report.units import UNCLEAR, fmt_bytes, fmt_estimate, fmt_ns
from engine.report.verdicts import Verdict
from engine.store.history import scale_run_events
from engine.store.run_model import RunModel
from tui.messages import ModelChanged
from tui.screens.tune import tune_cell
from tui.widgets.chart import LogBars
from tui.widgets.side_by_side_table import SideBySideTable


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


def _median_and_ratio(row: Optional[analysis.SideBySideRow]) -> str:
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


def hosts_view(model: RunModel) -> Union[Table, str]:
    """The hosts side by side (``engine.host_comparison``), or how to get them."""
    split = cells_by_host(model)
    rows = host_rows(split) if len(split) > 1 else []
    if not rows:
        return ("hosts side by side: run on two or more hosts (the setup screen's 'on' field, "
                "or faasbench run --host) to compare them here")
    return to_rich(host_table(rows, list(split)))


class SideBySideScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,v", "app.pop_screen", "Back"),
        Binding("r", "tune", "Re-run row"),
    ]

    def __init__(self, model: RunModel, history_dir: Path) -> None:
        super().__init__()
        self.model = model
        self.history_dir = history_dir
        """Where the scale run that claim (f) rests on is looked for (the latest kept)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent():
            with TabPane("Latency", id="latency"):
                yield SideBySideTable(id="table")
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
            with TabPane("Hosts", id="hosts"), VerticalScroll():
                yield Static(id="hosts-table")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        table = self.query_one(SideBySideTable)
        row = table.cursor_row
        table.show(analysis.side_by_side_rows(self.model))
        table.move_cursor(row=row)
        runtimes = analysis.runtimes(self.model)
        hosts = "; ".join(f"{rt} cold = {host}" for rt, host in
                          analysis.cold_processes(self.model).items())
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
        self.query_one("#claims-table", Static).update(to_rich(claims_table(self.claims())))
        self.query_one("#hosts-table", Static).update(hosts_view(self.model))

    def claims(self) -> list[Verdict]:
        """Every claim on this run, (f) on the latest scale run kept in the history."""
        samples = [s for cell in self.model.cells.values() for s in cell.samples]
        return claims(self.model, samples, scale_run_events(directory=self.history_dir),
                      load_price_model())

    def on_model_changed(self, message: ModelChanged) -> None:
        if self.is_current:
            self.redraw()

    def on_screen_resume(self) -> None:
        self.redraw()

    def selected_cell(self) -> Optional[str]:
        table = self.query_one(SideBySideTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_tune(self) -> None:
        if self.model is not getattr(self.app, "model", None):
            self.notify("this is a past run, opened from the history: start a new run to "
                        "measure again", severity="warning")
            return
        tune_cell(self, self.model, self.selected_cell())
