"""One live-view row per cell: status, progress, latencies, sparkline, gauges, output check."""

from __future__ import annotations

import re
import statistics

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Sparkline, Static

from engine.report.units import fmt_ns
from engine.store.run_model import CellState
from tui.widgets.gauge import Gauge
from tui.widgets.text_line import TextLine

STATUS = {"queued": ("·", "dim"), "running": ("▶", "bold yellow"), "done": ("✓", "green"),
          "cancelled": ("■", "yellow"), "skipped": ("–", "dim"), "failed": ("✗", "bold red"),
          "same": ("=", "dim")}


def headline(cell: CellState) -> Text:
    """Status, id, i/N, median, p95 and the output check, in fixed columns (fits 80 wide)."""
    glyph, style = STATUS.get(cell.status, ("?", ""))
    check = ("ok", "green") if cell.check == "ok" else \
        ("failed", "bold red") if cell.check == "failed" else ("–", "dim")
    return Text.assemble(
        (f"{glyph} ", style), f"{cell.cell_id:<27.27} ",
        f"{cell.measured:>5}/{cell.iterations:<5} ",
        ("med ", "dim"), f"{fmt_ns(cell.quantile(50)):>8}  ",
        ("p95 ", "dim"), f"{fmt_ns(cell.quantile(95)):>8}  ", check)


class CellRow(Widget, can_focus=True):
    """Focusable so a cell can be picked (keys or mouse) for cancel or re-run."""

    def __init__(self, cell: CellState) -> None:
        # a host's name may hold characters a widget id may not (user@host:port)
        super().__init__(id="cell-" + re.sub(r"[^A-Za-z0-9_-]", "_",
                                             cell.cell_id.replace("/", "--")))
        self.cell = cell
        self._drawn: tuple[int, int] = (0, 0)
        self._why = ""

    def compose(self) -> ComposeResult:
        yield TextLine(id="head")
        with Horizontal(id="bars"):
            yield TextLine(id="last")
            yield Sparkline([], summary_function=statistics.median, id="spark")
            yield Gauge("mem", id="mem")
            yield Gauge("size", id="footprint")
        yield Static(id="why")

    def show(self, max_rss: int, max_footprint: int) -> None:
        """Redraw from the cell state; gauges scale to the largest value seen in the run."""
        cell = self.cell
        self.query_one("#head", TextLine).text = headline(cell)
        self.query_one("#last", TextLine).text = Text.assemble(("last ", "dim"),
                                                               f"{fmt_ns(cell.last_ns):>8}")
        drawn = (id(cell.wall_ns), len(cell.wall_ns))
        if drawn != self._drawn:
            self._drawn = drawn
            self.query_one(Sparkline).data = list(cell.wall_ns)
        mem, footprint = self.query_one("#mem", Gauge), self.query_one("#footprint", Gauge)
        mem.value, mem.scale = cell.peak_rss, max_rss
        footprint.value, footprint.scale = cell.footprint, max_footprint
        footprint.part = cell.artifact_bytes
        self._show_why(cell)
        self.set_class(cell.status == "running", "-running")

    def _show_why(self, cell: CellState) -> None:
        """The last failure in red, else how the mode differs from its name (dim)."""
        why = self.query_one("#why", Static)
        count = f"{cell.failed} failed: " if cell.failed else ""
        text = (Text(f"  {count}{cell.error}", style="red") if cell.error
                else Text(f"  {cell.note}", style="dim") if cell.note else None)
        if why.display != (text is not None):
            why.display = text is not None
        if text is not None and self._why != text.plain:
            self._why = text.plain
            why.update(text)
