"""Scale: the choices of ``faasbench scale``, and its density and burst tables as they fill.

Like a run, the scale runs in a child engine: the screen sends it a ``ScaleSpec`` (``faasbench
scale --spec - --json``, through ``engine_link.ScaleLink``) and reads its events; stopping it
sends SIGINT, on which the engine tears every instance down. Leaving the screen stops a scale
still running. The engine's messages come to this screen and stop here: the app's run model is
not the scale's.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, ClassVar, Optional

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Header, Input, Label, Select, Static

from engine.errors import PlanError
from engine.report.render import to_rich
from engine.report.scale_tables import burst_table, density_table
from engine.spec.benchmarks import BENCHMARKS
from engine.spec.options import RunOptions, parse_bytes
from engine.spec.scale_spec import SCALE_RUNTIMES, ScaleSpec
from engine.store.events import (
    BurstFinished,
    BurstProgress,
    Event,
    RunError,
    ScaleFinished,
    ScaleLimit,
    ScalePlanned,
    ScaleStep,
)
from tui.engine_link import ScaleLink
from tui.messages import EngineEvents, EngineExited

DEFAULTS = ScaleSpec(runtimes=list(SCALE_RUNTIMES))
FIELDS = (("size", "size", ""), ("instances", "instances", str(DEFAULTS.instances)),
          ("requests", "requests", str(DEFAULTS.requests)),
          ("concurrency", "clients", str(DEFAULTS.concurrency)),
          ("timeout", "timeout (s)", f"{RunOptions().timeout_s:g}"),
          ("budget", "memory budget", ""))
PLACEHOLDERS = {"size": "the quick preset's", "budget": "¼ of memory"}


class ScaleScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "start", "Start", priority=True),
        Binding("ctrl+x", "stop", "Stop", priority=True),
        Binding("escape", "leave", "Back"),
    ]

    def __init__(self, python: str = sys.executable) -> None:
        super().__init__()
        self.python = python
        self.link: Optional[ScaleLink] = None
        self.events: list[Event] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="scale-choices"):
            with Vertical(id="scale-runtimes"):
                for name in SCALE_RUNTIMES:
                    yield Checkbox(name, value=True, id=f"rt-{name}", compact=True)
            with Vertical(id="scale-fields"):
                with Horizontal(classes="scale-field"):
                    yield Label("benchmark")
                    yield Select([(b, b) for b in BENCHMARKS], value=DEFAULTS.benchmark,
                                 allow_blank=False, id="scale-benchmark", compact=True)
                for key, label, value in FIELDS:
                    with Horizontal(classes="scale-field"):
                        yield Label(label)
                        yield Input(value, id=f"scale-{key}", compact=True,
                                    placeholder=PLACEHOLDERS.get(key, ""))
        yield Static("ctrl+r starts; ctrl+x stops and tears everything down", id="scale-status")
        with VerticalScroll(id="scale-tables"):
            yield Static(id="scale-density")
            yield Static(id="scale-burst")
        yield Footer()

    def on_mount(self) -> None:
        self.link = ScaleLink(self.app, self, self.python)

    def spec(self) -> ScaleSpec:
        """The choices as a checked spec; PlanError says what is wrong."""
        chosen = [n for n in SCALE_RUNTIMES if self.query_one(f"#rt-{n}", Checkbox).value]
        values = {key: self.query_one(f"#scale-{key}", Input).value.strip()
                  for key, _, _ in FIELDS}
        numbers: dict[str, Any] = {}
        for key in ("size", "instances", "requests", "concurrency"):
            if values[key] or key != "size":
                numbers[key] = _number(values[key], key, int)
        try:
            budget = parse_bytes(values["budget"]) if values["budget"] else None
        except ValueError as exc:
            raise PlanError(f"memory budget: {exc}") from None
        spec = ScaleSpec(chosen, str(self.query_one("#scale-benchmark", Select).value),
                         memory_budget_bytes=budget,
                         options=RunOptions(timeout_s=_number(values["timeout"], "timeout",
                                                              float)), **numbers)
        spec.check()
        return spec

    def action_start(self) -> None:
        assert self.link is not None
        if self.link.busy:
            self.notify("a scale run is in progress: stop it first (ctrl+x)",
                        severity="warning")
            return
        try:
            spec = self.spec()
        except PlanError as exc:
            self.notify(str(exc), severity="error")
            return
        self.events = []
        self._status("starting")
        self.link.run(spec)

    def action_stop(self) -> None:
        if self.link is not None and self.link.busy:
            self.link.cancel_run()
            self._status("stopping: tearing everything down")

    def action_leave(self) -> None:
        self.stop_and_wait()
        self.app.pop_screen()

    def stop_and_wait(self, grace: float = 60.0) -> None:
        """Stop a running scale and wait for its teardown (the engine removes everything)."""
        if self.link is not None:
            self.link.shutdown(grace)

    @on(EngineEvents)
    def _events(self, message: EngineEvents) -> None:
        message.stop()
        self.events.extend(e for e in message.events if not isinstance(e, BurstProgress))
        for event in message.events:
            self._note(event)
        self.query_one("#scale-density", Static).update(to_rich(density_table(self.events)))
        self.query_one("#scale-burst", Static).update(to_rich(burst_table(self.events)))

    def _note(self, event: Event) -> None:
        if isinstance(event, ScalePlanned):
            self._status(f"scale {event.run_id}: building and stepping up")
        elif isinstance(event, ScaleStep):
            self._status(f"{event.runtime}: {event.instances} instances up")
        elif isinstance(event, BurstProgress):
            self._status(f"{event.runtime}: burst {event.done}/{event.total}")
        elif isinstance(event, ScaleLimit):
            self.notify(event.reason, severity="warning", markup=False)
        elif isinstance(event, RunError):
            self.notify(event.message, severity="warning", markup=False)
        elif isinstance(event, BurstFinished) and event.failed:
            self.notify(f"{event.runtime}: {event.failed} of {event.requests} requests failed",
                        severity="error")
        elif isinstance(event, ScaleFinished):
            self._status("stopped; everything was torn down" if event.cancelled else
                         f"done in {event.seconds:.1f} s; everything was torn down")

    @on(EngineExited)
    def _ended(self, message: EngineExited) -> None:
        message.stop()
        if self.link is not None:
            self.link.finished()
        if message.problem:
            self.notify(f"the engine ended with exit code {message.returncode}: "
                        f"{message.problem}", severity="error", markup=False)

    def _status(self, text: str) -> None:
        self.query_one("#scale-status", Static).update(text)

    def on_unmount(self) -> None:
        self.stop_and_wait()


def _number(text: str, what: str, kind: Callable[[str], Any]) -> Any:
    """A field's number, or PlanError saying it is not one."""
    try:
        return kind(text)
    except ValueError:
        raise PlanError(f"{what} must be a number, got {text!r}") from None
