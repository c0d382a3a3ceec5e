"""Live run: one row per cell growing as samples arrive, and the event log underneath."""

from __future__ import annotations

from typing import ClassVar, Optional

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, RichLog, Static

from engine.report.estimate import fmt_duration
from engine.store.run_model import RunModel
from engine.terms import NoteLevel
from tui.messages import ModelChanged
from tui.screens.tune import tune_cell
from tui.widgets.cell_row import CellRow
from tui.widgets.text_line import TextLine

NOTE_STYLES: dict[NoteLevel, str] = {"info": "", "warning": "yellow", "failure": "red",
                                     "damaged": "yellow"}
"""How each level of note shows in the event log (its text as it is: no markup is read)."""


class LiveScreen(Screen):
    """Shows the app's model; the app posts ``ModelChanged`` after each batch of events."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "app.cancel_cell", "Cancel cell"),
        Binding("x", "app.cancel_run", "Cancel run"),
        Binding("r", "tune", "Re-run cell"),
        Binding("v", "app.side_by_side", "Side by side"),
        Binding("n", "app.setup", "New run"),
        Binding("down,j", "app.focus_next", "Next", show=False),
        Binding("up,k", "app.focus_previous", "Previous", show=False),
    ]

    def __init__(self, model: RunModel, results_name: str) -> None:
        super().__init__()
        self.model = model
        self.results_name = results_name
        self._scales = (0, 0)
        self._last_host: Optional[str] = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield TextLine(id="summary")
        yield VerticalScroll(id="cells")
        yield RichLog(id="log", markup=False, wrap=True, max_lines=500)
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one("#log", RichLog).border_title = "Events"
        await self.add_rows()
        self.refresh_rows(set(self.model.cells))

    async def add_rows(self) -> None:
        """Mount a row for every cell that has none yet (plan order), under a heading naming
        its host when a run is on several (each host's cells arrive together)."""
        shown = {row.cell.cell_id for row in self.query(CellRow)}
        widgets: list[Widget] = []
        for cell_id, cell in self.model.cells.items():
            if cell_id in shown:
                continue
            if cell.host is not None and cell.host != self._last_host:
                widgets.append(Static(f"on {cell.host}", classes="host-head"))
            self._last_host = cell.host
            widgets.append(CellRow(cell))
        await self.query_one("#cells", VerticalScroll).mount_all(widgets)

    def refresh_rows(self, cell_ids: set[str]) -> None:
        for row in self.query(CellRow):
            if row.cell.cell_id in cell_ids:
                row.show(self.model.max_rss, self.model.max_footprint)
        self.update_summary()

    def update_summary(self) -> None:
        cells = self.model.cells.values()
        done = sum(c.status in ("done", "cancelled", "skipped", "failed", "same") for c in cells)
        running = next((c.cell_id for c in cells if c.status == "running"), None)
        self.query_one("#summary", TextLine).text = Text.from_markup(
            f"[b]{done}/{len(self.model.cells)}[/] cells · [green]{self.model.tally.ok}[/] ok · "
            f"[red]{self.model.tally.failed}[/] failed · "
            + (f"running [b]{running}[/] · " if running else "")
            + (f"[red]stopped: {escape(self.model.stopped)}[/] · " if self.model.stopped else "")
            + (f"ETA {fmt_duration(eta)} · " if (eta := self.model.eta_seconds()) else "")
            + f"results: {self.results_name}")

    async def on_model_changed(self, message: ModelChanged) -> None:
        if message.new_cells:
            await self.add_rows()
        scales = (self.model.max_rss, self.model.max_footprint)
        everywhere = message.new_cells or scales != self._scales  # gauges rescale
        self._scales = scales
        self.refresh_rows(set(self.model.cells) if everywhere else set(message.cell_ids))
        log = self.query_one("#log", RichLog)
        for note in message.notes:
            log.write(Text(note.text, style=NOTE_STYLES[note.level]))

    def selected_cell(self) -> Optional[str]:
        focused = self.focused
        return focused.cell.cell_id if isinstance(focused, CellRow) else None

    def action_tune(self) -> None:
        tune_cell(self, self.model, self.selected_cell())
