"""The dashboard app: holds the model and the engine link, routes messages to screens.

``make_app(config)`` serves the command line (``run_dashboard``) and the tests; a test can
inject the doctor report and a recorded results file so views are deterministic.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Optional

from textual.app import App
from textual.binding import Binding, BindingType

from engine import serial
from engine.errors import EXIT_FAILED, PlanError
from engine.remote.fanout import RemoteOptions
from engine.report.estimate import load_history
from engine.spec.plan import Plan
from engine.store.results import default_path, load_results, results_dir, shown_path
from engine.store.run_model import Note, RunModel
from tui.engine_link import EngineLink, hosts_dir
from tui.messages import EngineEvents, EngineExited, ModelChanged, RerunRequested, RunRequested
from tui.screens.help import HelpScreen
from tui.screens.history import HistoryScreen
from tui.screens.live import LiveScreen
from tui.screens.scale import ScaleScreen
from tui.screens.setup import SetupScreen
from tui.screens.side_by_side import SideBySideScreen
from tui.watcher import Watcher


@dataclass
class Config:
    """How the dashboard starts."""

    doctor_report: Optional[dict[str, Any]] = None
    """Runtime availability; None asks ``engine.doctor.doctor()`` in a thread."""
    history_dir: Optional[Path] = None
    """Earlier results files (the estimate, the history screen); None means the data dir's
    ``results``."""
    results_path: Optional[Path] = None
    """Where this session's runs are appended; None picks a new file in the data dir."""
    replay: Optional[Path] = None
    """Show a recorded results file in the live view instead of starting on setup."""
    python: str = sys.executable
    """Interpreter for the child engine process."""
    watch: Optional[str] = None
    """Follow this growing results file (here, ``user@host:path``, or a host's latest run)
    in the live view instead of starting on setup."""
    watch_options: RemoteOptions = field(default_factory=RemoteOptions)
    """How to reach the host of ``watch``."""


class FaasbenchApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "faasbench"
    SUB_TITLE = "WebAssembly runtimes vs containers"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help"),
        Binding("h", "history", "History", show=False),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+s", "scale", "Scale", show=False),
    ]

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.config = config
        self.model = RunModel()
        self.results_path = config.results_path
        self.link: Optional[EngineLink] = None
        self.watcher: Optional[Watcher] = None

    @property
    def history_dir(self) -> Path:
        return self.config.history_dir or results_dir()

    def on_mount(self) -> None:
        self.push_screen(SetupScreen(self.config.doctor_report, load_history(self.history_dir)))
        if self.config.replay is not None:
            loaded, notes = load_results(self.config.replay), []
            if loaded.warning:
                self.notify(loaded.warning, severity="warning", markup=False)
            self.model = RunModel.from_events(loaded.events, notes)
            self.results_path = self.config.replay
            self.push_screen(LiveScreen(self.model, self.config.replay.name))
            self.broadcast(ModelChanged(frozenset(self.model.cells), notes))
        if self.config.watch is not None:
            self.push_screen(LiveScreen(self.model, f"watching {self.config.watch}"))
            self.watcher = Watcher(self, self.config.watch, self.config.watch_options)
            self.watcher.start()

    def engine(self) -> EngineLink:
        if self.link is None:
            if self.results_path is None:
                self.results_path = default_path("tui-" + uuid.uuid4().hex[:6])
            self.link = EngineLink(self, self.results_path, self.config.python)
        return self.link

    def on_run_requested(self, request: RunRequested) -> None:
        if self.start(request.plan, request.hosts):
            self.show_live()

    def on_rerun_requested(self, request: RerunRequested) -> None:
        """A plan of one cell: the cell as last planned, with its new size and iterations."""
        if request.cell_id not in self.model.plans:
            self.notify(f"no plan was recorded for {request.cell_id}, so it cannot be re-run",
                        severity="error")
            return
        cell, settings = self.model.plans[request.cell_id]
        host = self.model.cells[request.cell_id].host
        try:
            plan = Plan((serial.replace(cell, size=request.size, iterations=request.iterations),),
                        settings, origin=f"re-run of {cell.cell_id}")
            plan.check()
        except PlanError as exc:
            self.notify(str(exc), severity="error")
            return
        if self.start(plan, [host] if host else []):
            self.notify(f"re-running {request.cell_id}")

    def start(self, plan: Plan, hosts: Sequence[str] = ()) -> bool:
        """Hand the plan to the engine unless a run is in progress (then say so)."""
        link = self.engine()
        if link.busy:
            self.notify("a run is in progress: wait for it, or cancel it (x)",
                        severity="warning")
            return False
        link.run(plan, hosts)
        return True

    def show_live(self) -> None:
        """Bring the live screen up, creating it the first time."""
        while not isinstance(self.screen, (LiveScreen, SetupScreen)):
            self.pop_screen()
        if isinstance(self.screen, SetupScreen):
            self.push_screen(LiveScreen(self.model, self.results_path.name
                                        if self.results_path else "–"))
        self.broadcast(ModelChanged(frozenset(self.model.cells), []))

    def broadcast(self, message: ModelChanged) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, (LiveScreen, SideBySideScreen)):
                screen.post_message(message)

    def on_engine_events(self, message: EngineEvents) -> None:
        before = len(self.model.cells)
        notes: list[Note] = []
        hosts = message.hosts or [None] * len(message.events)
        touched = {self.model.apply(event, notes, host)
                   for event, host in zip(message.events, hosts)}
        touched.discard(None)
        self.broadcast(ModelChanged(frozenset(touched), notes,  # type: ignore[arg-type]
                                    new_cells=len(self.model.cells) != before))

    def on_engine_exited(self, message: EngineExited) -> None:
        ended = f"the engine ({message.label}) ended with exit code {message.returncode}"
        notes = [Note("failure", f"{ended}: {message.problem}")] if message.problem else []
        said = self.model.last_error if message.returncode == EXIT_FAILED else None
        touched = self.model.cut_off(message.problem or said or ended)
        self.broadcast(ModelChanged(frozenset(touched), notes))
        if self.link is not None:
            self.link.finished()

    def action_cancel_cell(self) -> None:
        if self.link is not None and self.link.proc is not None:
            self.link.cancel_cell()
            self.notify("cancelling the current cell")

    def action_cancel_run(self) -> None:
        if self.link is not None and self.link.busy:
            self.link.cancel_run()
            self.notify("cancelling the run; measured samples are kept")

    def action_side_by_side(self) -> None:
        self.push_screen(SideBySideScreen(self.model, self.history_dir))

    def action_setup(self) -> None:
        if isinstance(self.screen, LiveScreen):
            self.pop_screen()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_scale(self) -> None:
        if not isinstance(self.screen, ScaleScreen):
            self.push_screen(ScaleScreen(self.config.python))

    def action_history(self) -> None:
        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen(self.history_dir))

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.link is not None:
            self.link.shutdown()


def make_app(config: Optional[Config] = None) -> FaasbenchApp:
    return FaasbenchApp(config or Config())


def run_dashboard(config: Config) -> int:
    """The dashboard until the user quits (``faasbench``, ``faasbench tui``, ``faasbench
    watch``); then the path of the results it recorded, if any."""
    app = make_app(config)
    app.run()
    if app.results_path is not None:
        print(f"results: {shown_path(app.results_path)}")
        if hosts_dir(app.results_path).is_dir():
            print(f"results on hosts: {hosts_dir(app.results_path)}")
    return 0
