"""Scale: the choices of ``faasbench scale``, and its density and burst tables as they fill.

Like a run, the scale runs in a child engine (``faasbench scale ... --json``) whose events a
thread worker reads (``engine_link.stream_events``); stopping it sends SIGINT, on which the
engine tears every instance down. Leaving the screen stops a scale still running.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from typing import IO, ClassVar, Optional

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Header, Input, Label, Select, Static

from engine.benchmarks import BENCHMARKS
from engine.cli.scale_view import burst_table, density_table
from engine.events import (
    BurstFinished,
    BurstProgress,
    Event,
    RunError,
    ScaleFinished,
    ScaleLimit,
    ScalePlanned,
    ScaleStep,
)
from engine.options import PlanError, parse_bytes
from engine.scale_spec import DEFAULT_CONCURRENCY, DEFAULT_REQUESTS, SCALE_RUNTIMES, ScaleSpec

from ..engine_link import interrupt_and_wait, stream_events
from ..messages import ScaleEnded, ScaleEvents

FIELDS = (("instances", "instances", "100"), ("requests", "requests", str(DEFAULT_REQUESTS)),
          ("concurrency", "clients", str(DEFAULT_CONCURRENCY)),
          ("budget", "memory budget", ""))


def scale_argv(python: str, spec: ScaleSpec) -> list[str]:
    """The child engine for ``spec``: ``faasbench scale`` streaming JSON events."""
    argv = [python, "-m", "engine", "scale", "--runtimes", ",".join(spec.runtimes),
            "--benchmark", spec.benchmark, "--instances", str(spec.instances),
            "--requests", str(spec.requests), "--concurrency", str(spec.concurrency), "--json"]
    if spec.memory_budget_bytes is not None:
        argv += ["--memory-budget", str(spec.memory_budget_bytes)]
    return argv


class ScaleScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "start", "Start", priority=True),
        Binding("ctrl+x", "stop", "Stop", priority=True),
        Binding("escape", "leave", "Back"),
    ]

    def __init__(self, python: str = sys.executable) -> None:
        super().__init__()
        self.python = python
        self.proc: Optional[subprocess.Popen[bytes]] = None
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
                    yield Select([(b, b) for b in BENCHMARKS], value="nop", allow_blank=False,
                                 id="scale-benchmark", compact=True)
                for key, label, value in FIELDS:
                    with Horizontal(classes="scale-field"):
                        yield Label(label)
                        yield Input(value, id=f"scale-{key}", compact=True,
                                    placeholder="¼ of memory" if key == "budget" else "")
        yield Static("ctrl+r starts; ctrl+x stops and tears everything down", id="scale-status")
        with VerticalScroll(id="scale-tables"):
            yield Static(id="scale-density")
            yield Static(id="scale-burst")
        yield Footer()

    def spec(self) -> ScaleSpec:
        """The choices as a checked spec; PlanError says what is wrong."""
        chosen = [n for n in SCALE_RUNTIMES if self.query_one(f"#rt-{n}", Checkbox).value]
        values = {key: self.query_one(f"#scale-{key}", Input).value.strip()
                  for key, _, _ in FIELDS}
        numbers = {}
        for key in ("instances", "requests", "concurrency"):
            try:
                numbers[key] = int(values[key])
            except ValueError:
                raise PlanError(f"{key} must be a whole number, got {values[key]!r}") from None
        try:
            budget = parse_bytes(values["budget"]) if values["budget"] else None
        except ValueError as exc:
            raise PlanError(f"memory budget: {exc}") from None
        spec = ScaleSpec(chosen, str(self.query_one("#scale-benchmark", Select).value),
                         memory_budget_bytes=budget, **numbers)
        spec.check()
        return spec

    def action_start(self) -> None:
        if self.proc is not None:
            self.notify("a scale run is in progress: stop it first (ctrl+x)",
                        severity="warning")
            return
        try:
            spec = self.spec()
        except PlanError as exc:
            self.notify(str(exc), severity="error")
            return
        stderr = tempfile.TemporaryFile()  # noqa: SIM115  (the worker thread closes it)
        try:
            proc = subprocess.Popen(scale_argv(self.python, spec), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=stderr,
                                    start_new_session=True)
        except OSError as exc:
            stderr.close()
            self.notify(f"cannot start the engine: {exc}", severity="error")
            return
        self.proc = proc
        self.events = []
        self._status("starting")
        self.run_worker(lambda: self._pump(proc, stderr), thread=True, exit_on_error=False,
                        group="scale")

    def _pump(self, proc: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
        code, problem = stream_events(proc, stderr,
                                      lambda items: self.post_message(
                                          ScaleEvents([event for _, event in items])))
        self.post_message(ScaleEnded(code, problem))

    def action_stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self._status("stopping: tearing everything down")

    def action_leave(self) -> None:
        self.stop_and_wait()
        self.app.pop_screen()

    def stop_and_wait(self, grace: float = 60.0) -> None:
        """Stop a running scale and wait for its teardown (the engine removes everything)."""
        interrupt_and_wait(self.proc, grace)

    @on(ScaleEvents)
    def _events(self, message: ScaleEvents) -> None:
        self.events.extend(e for e in message.events if not isinstance(e, BurstProgress))
        for event in message.events:
            self._note(event)
        self.query_one("#scale-density", Static).update(density_table(self.events))
        self.query_one("#scale-burst", Static).update(burst_table(self.events))

    def _note(self, event: Event) -> None:
        if isinstance(event, ScalePlanned):
            self._status(f"scale {event.run_id}: building and stepping up")
        elif isinstance(event, ScaleStep):
            self._status(f"{event.runtime}: {event.instances} instances up")
        elif isinstance(event, BurstProgress):
            self._status(f"{event.runtime}: burst {event.done}/{event.total}")
        elif isinstance(event, (ScaleLimit, RunError)):
            self.notify(getattr(event, "reason", None) or getattr(event, "message", ""),
                        severity="warning")
        elif isinstance(event, BurstFinished) and event.failed:
            self.notify(f"{event.runtime}: {event.failed} of {event.requests} requests failed",
                        severity="error")
        elif isinstance(event, ScaleFinished):
            self._status("stopped; everything was torn down" if event.cancelled else
                         f"done in {event.seconds:.1f} s; everything was torn down")

    @on(ScaleEnded)
    def _ended(self, message: ScaleEnded) -> None:
        self.proc = None
        if message.problem:
            self.notify(f"the engine ended with exit code {message.returncode}: "
                        f"{message.problem}", severity="error")

    def _status(self, text: str) -> None:
        self.query_one("#scale-status", Static).update(text)

    def on_unmount(self) -> None:
        self.stop_and_wait()
