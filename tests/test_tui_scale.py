"""The dashboard's Scale screen: the real ``faasbench scale`` in a child engine fills the
density and burst tables; bad choices are one message and start nothing; stopping tears down."""

from __future__ import annotations

import psutil
from docker_support import labelled_containers
from textual.widgets import Checkbox, Input
from tui_support import DATA, RECORDED, report, run, screen_text, wait_until

from engine.billing import load_price_model
from engine.cli.cost_view import usage_cost
from engine.events import BurstFinished, ScaleFinished, ScaleStep
from engine.scale_pools import SCALE_LABEL
from engine.scale_spec import SCALE_RUNTIMES
from tui.app import Config, make_app
from tui.screens.scale import ScaleScreen
from tui.widgets.compare_table import CompareTable


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
            _choose(screen, ("wasmtime",), instances="12", requests="30", concurrency="2")
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: any(isinstance(e, ScaleFinished)
                                                for e in screen.events))
            await wait_until(pilot, lambda: screen.proc is None)
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
            assert screen.proc is None
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
            hosts = psutil.Process(screen.proc.pid).children(recursive=True)
            await pilot.press("ctrl+x")
            await wait_until(pilot, lambda: screen.proc is None)
            finished = [e for e in screen.events if isinstance(e, ScaleFinished)]
            assert finished and finished[0].cancelled
            run_id = next(e.run_id for e in screen.events if isinstance(e, ScaleFinished))
            assert labelled_containers(f"{SCALE_LABEL}={run_id}") == []
            assert not any(h.is_running() and h.status() != psutil.STATUS_ZOMBIE
                           for h in hosts)

    run(scenario())


def test_compare_view_shows_cost_per_million_calls() -> None:
    """The recorded run (real native and wasmtime samples, CPU time measured, no fuel): each
    compare row ends with its CPU-time cost per million calls, as engine.billing works it out."""
    async def scenario() -> None:
        app = make_app(Config(doctor_report=report("native", "wasmtime"), history_dir=DATA,
                              replay=RECORDED))
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.press("v")
            await pilot.pause(0.3)
            table = app.screen.query_one(CompareTable)
            cell = app.model.cells["wasmtime/nop/warm"]
            shown = str(table.get_row(cell.cell_id)[-1])
            rows = [s.to_dict() for s in cell.samples]
            assert shown == usage_cost(rows, load_price_model())
            assert shown.startswith("cpu $") and "fuel" not in shown

    run(scenario())
