"""History: the runs kept in the data dir; open one side by side, or compare two.

The list and the comparison are the command line's (``faasbench history`` / ``compare``): the
same ``engine.store.history`` listing and ``engine.report.compare_runs`` table, so the two can
never disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Optional

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from engine.report.compare_runs import CHANGE_COLUMNS, RunComparison, change_row, compare_runs
from engine.store.history import COLUMNS, list_runs, run_id_of, table_row
from engine.store.results import ResultsError, load_model
from engine.store.run_model import RunModel
from tui.screens.side_by_side import SideBySideScreen

MARKS = ("A", "B")


class HistoryScreen(Screen):
    """Kept runs as ``faasbench history`` lists them; a past run opens read-only."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("o", "open", "Open"),
        Binding("space", "mark", "Mark A/B"),
        Binding("d", "compare", "Compare A, B"),
    ]

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = directory
        self.marked: list[Path] = []
        """Up to two runs, A then B; marking a third drops the oldest mark."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="history-help", classes="line")
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"history: {self.directory}"
        table = self.query_one(DataTable)
        table.add_columns("", *COLUMNS)
        infos = list_runs(self.directory)
        for info in infos:
            table.add_row("", *table_row(info), key=str(info.path))
        warnings = [info.warning for info in infos if info.warning]
        if warnings:
            self.notify(warnings[0] + (f" (and {len(warnings) - 1} more files)"
                                       if len(warnings) > 1 else ""), severity="warning",
                        markup=False)
        self.show_marks()

    def show_marks(self) -> None:
        table = self.query_one(DataTable)
        for key in table.rows:
            mark = MARKS[self.marked.index(Path(key.value))] \
                if Path(key.value) in self.marked else ""
            table.update_cell(key, table.ordered_columns[0].key, Text(mark, style="bold"))
        chosen = ", ".join(f"{m} = {run_id_of(p)}" for m, p in zip(MARKS, self.marked))
        self.query_one("#history-help", Static).update(
            (chosen + ("; d compares them" if len(self.marked) == 2 else ""))
            if chosen else "enter opens a run; space marks two runs to compare"
            if table.row_count else f"no runs kept in {self.directory} yet")

    def selected(self) -> Optional[Path]:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return Path(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def load(self, path: Path) -> Optional[RunModel]:
        """Read a run back, saying so when it cannot be read or has bad lines."""
        try:
            model, warnings = load_model(path)
        except ResultsError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return None
        for warning in warnings:
            self.notify(warning, severity="warning", markup=False)
        return model

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        path = self.selected()
        model = self.load(path) if path else None
        if model is not None:
            screen = SideBySideScreen(model, self.directory)
            screen.sub_title = f"past run {run_id_of(path)}"
            self.app.push_screen(screen)

    def action_mark(self) -> None:
        path = self.selected()
        if path is None:
            return
        if path in self.marked:
            self.marked.remove(path)
        else:
            self.marked = [*self.marked, path][-len(MARKS):]
        self.show_marks()

    def action_compare(self) -> None:
        if len(self.marked) != len(MARKS):
            self.notify("mark two runs first (space): A, then B", severity="warning")
            return
        a, b = (self.load(path) for path in self.marked)
        if a is not None and b is not None:
            self.app.push_screen(RunComparisonScreen(*self.marked, compare_runs(a, b)))


class RunComparisonScreen(Screen):
    """Per cell in both runs: A's and B's medians, B / A with its interval, and a verdict."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, path_a: Path, path_b: Path, result: RunComparison) -> None:
        super().__init__()
        self.ids = run_id_of(path_a), run_id_of(path_b)
        self.result = result

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="compare-title", classes="line")
        yield DataTable(id="changes", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="compare-only"):
            yield Static(id="only")
        yield Footer()

    def on_mount(self) -> None:
        id_a, id_b = self.ids
        result = self.result
        self.sub_title = f"compare {id_a} → {id_b}"
        self.query_one("#compare-title", Static).update(result.headline(id_a, id_b))
        table = self.query_one(DataTable)
        table.add_columns(*CHANGE_COLUMNS)
        for change in result.both:
            table.add_row(*change_row(change))
        self.query_one("#only", Static).update("\n".join(result.only_lines(id_a, id_b)))
