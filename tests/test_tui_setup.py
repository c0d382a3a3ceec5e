"""Setup screen flows with Pilot: choosing runtimes and benchmarks, inline validation."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input, SelectionList, Static
from tui_support import DATA, choose, report, run

from engine.spec.plan import Plan, make_plan
from tui.app import Config, make_app

pytestmark = pytest.mark.fast


def make(tmp_path):
    return make_app(Config(doctor_report=report("native", "wasmtime", unavailable=("wasmer",)),
                           history_dir=DATA, results_path=tmp_path / "out.jsonl"))


def test_pick_runtimes_and_benchmarks(tmp_path) -> None:
    async def scenario() -> Plan:
        app = make(tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            runtimes = app.screen.query_one("#runtimes", SelectionList)
            assert runtimes.selected == ["native", "wasmtime"]
            runtimes.focus()
            runtimes.highlighted = 2
            await pilot.press("space")  # wasmer is unavailable: it cannot be ticked
            assert "wasmer" not in runtimes.selected
            runtimes.highlighted = 1
            await pilot.press("space")  # untick wasmtime
            assert runtimes.selected == ["native"]
            choose(app, {"nop": 0, "nbody": 1000}, 3)
            await pilot.click("#warm")
            await pilot.pause()
            plan = app.screen.collect()[0]
            assert plan is not None
            assert "wasmer is not installed" in str(app.screen.query_one("#notes", Static).render())
            return plan

    plan = run(scenario())
    assert plan == make_plan(["native"], ["nop", "nbody"], modes=["cold", "warm"],
                             sizes={"nop": 0, "nbody": 1000}, iterations=3), \
        "the setup screen's plan is the engine's, warm-ups included"
    assert [c.warmup for c in plan.cells] == [0, 1, 0, 1]


@pytest.mark.parametrize(("field", "text", "message"), [
    ("iter-nop", "0", "iterations must be between 1 and 100000, got 0"),
    ("iter-nop", "-1", "got -1"),
    ("iter-nop", "1000000000", "got 1000000000"),
    ("iter-nop", "ten", "'ten' is not a whole number"),
    ("size-nbody", "0", "steps must be between 1 and 500000000"),
    ("size-nbody", "10^9", "is not a whole number"),
])
def test_invalid_input_disables_run(tmp_path, field: str, text: str, message: str) -> None:
    async def scenario() -> None:
        app = make(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            run_button = app.screen.query_one("#run", Button)
            assert not run_button.disabled
            app.screen.query_one(f"#{field}", Input).value = text
            await pilot.pause()
            assert run_button.disabled
            assert app.screen.query_one(f"#{field}", Input).has_class("-invalid")
            assert message in str(app.screen.query_one("#problems", Static).render())
            await pilot.press("ctrl+r")  # refused: still on setup, nothing started
            assert app.link is None
            app.screen.query_one(f"#{field}", Input).value = "5"
            await pilot.pause()
            assert not run_button.disabled

    run(scenario())
