"""Setup: pick runtimes (from doctor), benchmarks with sizes and iterations, modes; see an estimate.

Every field is checked as it is typed with the engine's own rules; the problems are listed
and Run stays disabled until they are fixed.
"""

from __future__ import annotations

from typing import Any, ClassVar, Optional

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
)
from textual.widgets.selection_list import Selection

from engine.build.toolchain import DEFAULT_PROFILE, PROFILES, BuildFlags
from engine.errors import PlanError
from engine.remote.hosts import LOCAL, parse_hosts
from engine.report.estimate import CONFIRM_PRESETS, Key, describe, estimate
from engine.spec.benchmarks import BENCHMARKS, PRESET_ITERATIONS, PRESETS
from engine.spec.options import DEFAULT_MODES, DEFAULT_RUNTIMES
from engine.spec.plan import Plan, make_plan
from engine.terms import MODE_MEANINGS, MODES
from tui import checks
from tui.messages import DoctorReady, RunRequested
from tui.screens.confirm import ConfirmScreen

MAX_NOTES = 3


def runtime_option(row: dict[str, Any]) -> Selection[str]:
    """Available runtimes are selectable; the others are dimmed with their reason."""
    if row["ok"]:
        prompt = Text.assemble((row["name"], "bold"), "  ", (str(row["version"])[:24], "dim"))
    else:
        prompt = Text.assemble((row["name"], "dim strike"), "  ",
                               (row["reason"] or "unavailable", "dim italic"))
    return Selection(prompt, row["name"], row["ok"] and row["name"] in DEFAULT_RUNTIMES,
                     disabled=not row["ok"])


def unavailable_notes(rows: list[dict[str, Any]]) -> Text:
    """One truncated line per unavailable runtime (reason and fix); the rest is in doctor."""
    missing = [r for r in rows if not r["ok"]]
    lines = [f"{r['name']}: {r['reason']}" + (f"; fix: {r['fix']}" if r.get("fix") else "")
             for r in missing[:MAX_NOTES]]
    if len(missing) > MAX_NOTES:
        lines.append(f"and {len(missing) - MAX_NOTES} more: see `faasbench doctor`")
    return Text("\n".join(lines), no_wrap=True, overflow="ellipsis")


class SetupScreen(Screen):
    """The first screen: what to run."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+r", "run", "Run", priority=True)]

    def __init__(self, report: Optional[dict[str, Any]], history: dict[Key, float]) -> None:
        super().__init__()
        self.report = report
        self.history = history

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="choices"):
            yield SelectionList[str](id="runtimes")
            with Vertical(id="benchmarks"):
                with Horizontal(classes="line"):
                    yield Label("preset ")
                    yield Select([(p, p) for p in PRESETS], value=PRESETS[0], allow_blank=False,
                                 compact=True, id="preset")
                    yield Label("  profile ")
                    yield Select([(name, name) for name in PROFILES], value=DEFAULT_PROFILE,
                                 allow_blank=False, compact=True, id="profile",
                                 tooltip=PROFILES[DEFAULT_PROFILE].meaning)
                with Horizontal(classes="line"):
                    yield Label("mode ")
                    for mode in MODES:
                        yield Checkbox(mode, mode in DEFAULT_MODES, compact=True, id=mode,
                                       tooltip=MODE_MEANINGS[mode])
                yield Label("  benchmark           size         iterations", classes="dim")
                for name, bench in BENCHMARKS.items():
                    with Horizontal(classes="line bench"):
                        yield Checkbox(name, True, compact=True, id=f"use-{name}")
                        yield Input(str(bench.presets[PRESETS[0]]), compact=True,
                                    id=f"size-{name}",
                                    validators=[checks.Check(checks.size_of(name))],
                                    classes="size", tooltip=bench.size_meaning)
                        yield Input(str(PRESET_ITERATIONS[PRESETS[0]]), compact=True,
                                    id=f"iter-{name}", classes="iters",
                                    validators=[checks.Check(checks.iterations)])
        yield Static(id="problems")
        yield Static(id="notes")
        with Horizontal(id="hosts-line"):
            yield Label("run on ")
            yield Input(LOCAL, compact=True, id="hosts",
                        tooltip="where to run: local (this machine) and/or user@host[:port] "
                                "over SSH, comma-separated; the hosts run at once")
        with Horizontal(id="actions"):
            yield Button("Run", variant="success", id="run", compact=True)
            yield Static(id="estimate")
        yield Footer()

    def on_mount(self) -> None:
        runtimes = self.query_one("#runtimes", SelectionList)
        runtimes.border_title = "Runtimes"
        self.query_one("#benchmarks").border_title = "Benchmarks"
        if self.report is None:
            runtimes.border_subtitle = "checking…"
            self.ask_doctor()
        else:
            self.show_runtimes(self.report)
        self.revalidate()

    @work(thread=True, exit_on_error=False)
    def ask_doctor(self) -> None:
        """doctor() asks every runtime (and the Docker daemon): keep it off the UI thread."""
        from engine.doctor import doctor

        self.post_message(DoctorReady(doctor()))

    def on_doctor_ready(self, message: DoctorReady) -> None:
        self.show_runtimes(message.report)

    def show_runtimes(self, report: dict[str, Any]) -> None:
        runtimes = self.query_one("#runtimes", SelectionList)
        runtimes.clear_options()
        runtimes.add_options([runtime_option(row) for row in report["runtimes"]])
        runtimes.focus()  # where a keyboard user starts, now that there is something to pick
        runtimes.border_subtitle = f"{sum(r['ok'] for r in report['runtimes'])} available"
        self.query_one("#notes", Static).update(unavailable_notes(report["runtimes"]))
        self.revalidate()

    @on(Select.Changed, "#profile")
    def explain_profile(self, event: Select.Changed) -> None:
        self.query_one("#profile", Select).tooltip = PROFILES[str(event.value)].meaning
        self.revalidate()

    @on(Select.Changed, "#preset")
    def apply_preset(self, event: Select.Changed) -> None:
        preset = str(event.value)
        for name, bench in BENCHMARKS.items():
            self.query_one(f"#size-{name}", Input).value = str(bench.presets[preset])
            self.query_one(f"#iter-{name}", Input).value = str(PRESET_ITERATIONS[preset])

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    def revalidate(self) -> None:
        """Recheck everything (cheap), list problems, enable Run only when there are none."""
        plan, problems = self.collect()
        for field in self.query(Input):
            result = field.validate(field.value)
            field.tooltip = None if result is None or result.is_valid else \
                "; ".join(result.failure_descriptions)
        self.query_one("#problems", Static).update(
            Text("\n".join(problems), style="red") if problems else
            Text("ready: ctrl+r or the Run button starts the run", style="dim"))
        self.query_one("#run", Button).disabled = bool(problems)
        cells = plan.cells if plan is not None else ()
        seconds, unknown = estimate(cells, self.history)
        self.query_one("#estimate", Static).update(describe(seconds, unknown, len(cells)))

    def collect(self) -> tuple[Optional[Plan], list[str]]:
        """The plan (when everything is valid) and the problems, worded by the engine."""
        problems: list[str] = []
        runtimes = list(self.query_one("#runtimes", SelectionList).selected)
        modes = [m for m in MODES if self.query_one(f"#{m}", Checkbox).value]
        sizes: dict[str, int] = {}
        iterations: dict[str, int] = {}
        for name in BENCHMARKS:
            if not self.query_one(f"#use-{name}", Checkbox).value:
                continue
            for kind, check, target in (("size", checks.size_of(name), sizes),
                                        ("iter", checks.iterations, iterations)):
                try:
                    target[name] = check(self.query_one(f"#{kind}-{name}", Input).value)
                except ValueError as exc:
                    problems.append(str(exc) if name in str(exc) else f"{name}: {exc}")
        if not runtimes:
            problems.append("pick at least one available runtime")
        if not sizes and not problems:
            problems.append("pick at least one benchmark")
        if not modes:
            problems.append("pick a mode: " + ", ".join(MODES))
        try:
            self.hosts()
        except PlanError as exc:
            problems.append(str(exc))
        if problems:
            return None, problems
        try:
            return make_plan(runtimes, list(sizes),
                             preset=str(self.query_one("#preset", Select).value),
                             iterations=iterations, modes=modes, sizes=sizes,
                             flags=BuildFlags(profile=str(self.query_one("#profile",
                                                                          Select).value))), []
        except PlanError as exc:
            return None, [str(exc)]

    def hosts(self) -> list[str]:
        """The hosts field, checked like ``faasbench run --host``; empty when it names only
        this machine (the dashboard's usual child engine, its cells not labelled by host)."""
        names = [t for t in self.query_one("#hosts", Input).value.split(",") if t.strip()]
        hosts = [h.name for h in parse_hosts(names or [LOCAL])]
        return [] if hosts == [LOCAL] else hosts

    @on(Button.Pressed, "#run")
    def action_run(self) -> None:
        """Start; a long preset asks first with its estimate (as the CLI does)."""
        plan = self.collect()[0]
        if plan is None:
            return
        if plan.settings.preset not in CONFIRM_PRESETS:
            self.app.post_message(RunRequested(plan, self.hosts()))
            return
        seconds, unknown = estimate(plan.cells, self.history)
        question = (f"The {plan.settings.preset} preset is long: {len(plan.cells)} cells, "
                    f"{describe(seconds, unknown, len(plan.cells))}. Start it?")
        self.app.push_screen(ConfirmScreen(question), lambda yes: yes and self.app.post_message(
            RunRequested(plan, self.hosts())))
