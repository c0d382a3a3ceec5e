"""The tune dialog: new iterations and size for one cell, checked like the setup fields."""

from __future__ import annotations

from typing import ClassVar, Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, Static

from engine.spec.benchmarks import BENCHMARKS
from engine.store.run_model import CellState, RunModel
from tui import checks
from tui.messages import RerunRequested


class TuneScreen(ModalScreen[Optional[RerunRequested]]):
    """Returns the re-run request, or None when dismissed."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Close")]

    def __init__(self, cell: CellState) -> None:
        super().__init__()
        self.cell = cell
        self.checks = {"iterations": checks.iterations, "size": checks.size_of(cell.benchmark)}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Re-run [b]{self.cell.cell_id}[/]; its samples will be replaced")
            with Horizontal(classes="line"):
                yield Label("iterations ", classes="field")
                yield Input(str(self.cell.iterations), id="iterations", compact=True,
                            validators=[checks.Check(self.checks["iterations"])])
            with Horizontal(classes="line"):
                yield Label("size       ", classes="field")
                yield Input(str(self.cell.size), id="size", compact=True,
                            tooltip=BENCHMARKS[self.cell.benchmark].size_meaning,
                            validators=[checks.Check(self.checks["size"])])
            yield Static(id="tune-problems")
            with Horizontal(classes="line"):
                yield Button("Run", variant="success", id="go", compact=True)
                yield Button("Cancel", id="close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "Tune"
        self.query_one("#iterations", Input).focus()

    def request(self) -> tuple[Optional[RerunRequested], list[str]]:
        values, problems = {}, []
        for name, check in self.checks.items():
            try:
                values[name] = check(self.query_one(f"#{name}", Input).value)
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            return None, problems
        return RerunRequested(self.cell.cell_id, values["iterations"], values["size"]), []

    @on(Input.Changed)
    def revalidate(self) -> None:
        problems = self.request()[1]
        self.query_one("#tune-problems", Static).update(Text("\n".join(problems), style="red"))
        self.query_one("#go", Button).disabled = bool(problems)

    @on(Input.Submitted)
    @on(Button.Pressed, "#go")
    def go(self) -> None:
        request = self.request()[0]
        if request is not None:
            self.dismiss(request)

    @on(Button.Pressed, "#close")
    def close(self) -> None:
        self.dismiss(None)


def tune_cell(screen: Screen, model: RunModel, cell_id: Optional[str]) -> None:
    """Open the dialog for a cell and hand the request to the app."""
    if cell_id is None or cell_id not in model.cells:
        screen.notify("select a cell first (arrow keys or click)", severity="warning")
        return

    def done(request: Optional[RerunRequested]) -> None:
        if request is not None:
            screen.app.post_message(request)

    screen.app.push_screen(TuneScreen(model.cells[cell_id]), done)
