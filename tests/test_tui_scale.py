"""The dashboard's Scale screen: the real ``faasbench scale --spec -`` in a child engine, sent
the screen's spec whole (size and options too), fills the density and burst tables; bad choices
are one message and start nothing; stopping tears down. And the side by side view's claims (f)
and (g), from a kept scale run and the run's samples."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
from docker_support import labelled_containers
from textual.widgets import Checkbox, Input, TabbedContent
from tui_support import DATA, RECORDED, report, run, screen_text, wait_until

from engine.report.billing import load_price_model
from engine.report.cost_table import usage_cost
from engine.scale.pools import SCALE_LABEL
from engine.spec.scale_spec import SCALE_RUNTIMES
from engine.store.events import BurstFinished, ScaleFinished, ScalePlanned, ScaleStep
from engine.terms import NOT_MEASURED
from tui.app import Config, make_app
from tui.screens.scale import ScaleScreen
from tui.widgets.side_by_side_table import SideBySideTable


def _app():  # type: ignore[no-untyped-def]
    return make_app(Config(doctor_report=report("wasmtime"), history_dir=DATA))


def _choose(screen: ScaleScreen, runtimes: tuple[str, ...], **fields: str) -> None:
    for name in SCALE_RUNTIMES:
        screen.query_one(f"#rt-{name}", Checkbox).value = name in runtimes
    for key, value in fields.items():
        screen.query_one(f"#scale-{key}", Input).value = value


def test_scale_screen_runs_a_real_scale() -> None:
    async def scenario() -> None:
        app = _app()
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.press("ctrl+s")
            screen = app.screen
            assert isinstance(screen, ScaleScreen)
            _choose(screen, ("wasmtime",), size="0", instances="12", requests="30",
                    concurrency="2", timeout="45", budget="1g")
            sent = screen.spec()
            assert (sent.size, sent.options.timeout_s) == (0, 45.0)
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: any(isinstance(e, ScaleFinished)
                                                for e in screen.events))
            await wait_until(pilot, lambda: not screen.link.busy)
            [planned] = [e for e in screen.events if isinstance(e, ScalePlanned)]
            assert planned.spec == sent.to_dict(), "the child ran the spec the screen sent"
            assert app.model.cells == {}, "a scale's events stay on its screen"
            steps = [e.instances for e in screen.events if isinstance(e, ScaleStep)]
            assert steps == [1, 10, 12]
            [done] = [e for e in screen.events if isinstance(e, BurstFinished)]
            assert (done.ok, done.failed) == (30, 0)
            text = screen_text(app)
            assert "density" in text and "wasmtime" in text and "done in" in text
            await pilot.press("escape")
            assert not isinstance(app.screen, ScaleScreen)

    run(scenario())


def test_bad_choice_is_one_message_and_starts_nothing() -> None:
    async def scenario() -> None:
        app = _app()
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.press("ctrl+s")
            screen = app.screen
            _choose(screen, ("wasmtime",), instances="0")
            await pilot.press("ctrl+r")
            await pilot.pause(0.2)
            assert not screen.link.busy
            assert any("instances must be between 1" in n.message for n in app._notifications)
            _choose(screen, (), instances="5")
            await pilot.press("ctrl+r")
            await pilot.pause(0.2)
            assert any("name at least one runtime" in n.message for n in app._notifications)

    run(scenario())


def test_stop_mid_step_tears_the_scale_down(engine: str) -> None:
    """Stopped while docker steps up from 10 to 40 containers (seconds on a real engine):
    the wasmtime host before it and every container are gone."""
    async def scenario() -> None:
        app = _app()
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.press("ctrl+s")
            screen = app.screen
            _choose(screen, ("wasmtime", "docker"), instances="40", requests="0")
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: any(
                isinstance(e, ScaleStep) and e.runtime == "docker" and e.instances == 10
                for e in screen.events))
            servers = psutil.Process(screen.link.proc.pid).children(recursive=True)
            await pilot.press("ctrl+x")
            await wait_until(pilot, lambda: not screen.link.busy)
            finished = [e for e in screen.events if isinstance(e, ScaleFinished)]
            assert finished and finished[0].cancelled
            run_id = next(e.run_id for e in screen.events if isinstance(e, ScaleFinished))
            assert labelled_containers(f"{SCALE_LABEL}={run_id}") == []
            assert not any(s.is_running() and s.status() != psutil.STATUS_ZOMBIE
                           for s in servers)

    run(scenario())


def test_side_by_side_shows_cost_per_million_calls() -> None:
    """The recorded run (real native and wasmtime samples, CPU time measured, no fuel): each
    row ends with its CPU-time cost per million calls, as engine.report.billing works it out."""
    async def scenario() -> None:
        app = make_app(Config(doctor_report=report("native", "wasmtime"), history_dir=DATA,
                              replay=RECORDED))
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.press("v")
            await pilot.pause(0.3)
            table = app.screen.query_one(SideBySideTable)
            cell = app.model.cells["wasmtime/nop/warm"]
            shown = str(table.get_row(cell.cell_id)[-1])
            assert shown == usage_cost(cell.samples, load_price_model())
            assert shown.startswith("cpu $") and "fuel" not in shown

    run(scenario())


def test_claims_tab_judges_density_on_the_kept_scale_run(engine: str, tmp_path: Path) -> None:
    """A real scale run of wasmtime and docker kept in the history: the side by side view's
    Claims tab lists every claim, (f) judged on that scale run and (g) on the run's samples."""
    kept = tmp_path / "results"
    scale = subprocess.run([sys.executable, "-m", "faasbench", "scale", "--runtimes",
                            "wasmtime,docker", "--instances", "2", "--requests", "0",
                            "--out", str(kept / "run-20260101-000000-scale.jsonl")],
                           capture_output=True, text=True, timeout=600)
    assert scale.returncode == 0, scale.stderr

    async def scenario() -> None:
        app = make_app(Config(doctor_report=report("native", "wasmtime"), history_dir=kept,
                              replay=RECORDED))
        async with app.run_test(size=(200, 60)) as pilot:
            await pilot.press("v")
            await pilot.pause(0.3)
            screen = app.screen
            verdicts = {v.id: v for v in screen.claims()}
            assert set(verdicts) == set("abcdefg")
            assert verdicts["f"].verdict != NOT_MEASURED, verdicts["f"]
            assert "docker" in verdicts["f"].figure and "wasmtime" in verdicts["f"].figure
            assert verdicts["g"].verdict != NOT_MEASURED, verdicts["g"]
            screen.query_one(TabbedContent).active = "claims"
            await pilot.pause(0.3)
            text = screen_text(app)
            assert "(f) WebAssembly instances per GiB" in text and "(g) most of a nop" in text

    run(scenario())
