"""Real runs through the dashboard (native + wasmtime, tiny sizes): the child engine runs the
guests, the app fills the live view, cancels, re-runs one cell and compares."""

from __future__ import annotations

import statistics
from pathlib import Path

from conftest import read_rows
from textual.widgets import DataTable, Select
from tui_support import DATA, choose, report, run, screen_text, wait_until

from engine.report.units import fmt_ns
from engine.spec.plan import Plan
from engine.store.results import read_events
from engine.store.run_model import RunModel
from tui.app import Config, FaasbenchApp, make_app
from tui.widgets.cell_row import CellRow

RUNTIMES = ("native", "wasmtime")


def make(tmp_path: Path) -> FaasbenchApp:
    return make_app(Config(doctor_report=report(*RUNTIMES), history_dir=DATA,
                           results_path=tmp_path / "results.jsonl"))


def idle(app: FaasbenchApp):
    return lambda: app.link is not None and not app.link.busy


def samples(path: Path) -> dict[str, list[int]]:
    """ok, measured wall times per cell, the last run of each cell winning (as in the UI)."""
    cells: dict[str, list[int]] = {}
    for row in read_rows(path):
        if row["event"] == "cell_started":
            cells[row["cell_id"]] = []
        elif row["event"] == "sample_recorded" and row["ok"] and not row["warmup"]:
            cells[row["cell_id"]].append(row["wall_ns"])
    return cells


def planned(path: Path) -> list[Plan]:
    """The plans the child engines received, as they recorded them."""
    return [Plan.from_dict(row["plan"]) for row in read_rows(path)
            if row["event"] == "run_planned"]


def test_quick_run_fills_live_view_then_rerun_and_compare(tmp_path: Path) -> None:
    """One session: run, check the live rows, re-run one cell, compare against the file; the
    child engine runs exactly the plans the dashboard made."""
    async def scenario() -> None:
        app = make(tmp_path)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            app.screen.query_one("#preset", Select).value = "standard"
            await pilot.pause()
            choose(app, {"nop": 0, "nbody": 2000}, 3)
            await pilot.pause()
            sent = app.screen.collect()[0]
            assert sent is not None
            await pilot.press("ctrl+r")
            await wait_until(pilot, idle(app))
            rows = list(app.screen.query(CellRow))
            assert [r.cell.cell_id for r in rows] == [f"{rt}/{b}/cold" for b in ("nop", "nbody")
                                                      for rt in RUNTIMES]
            assert all(r.cell.status == "done" and len(r.cell.wall_ns) == 3 for r in rows)
            text = screen_text(app)
            assert text.count("3/3") == 4 and "4/4 cells" in text

            app.screen.query_one("#cell-wasmtime--nbody--cold", CellRow).focus()
            await pilot.press("r")
            await pilot.press("ctrl+a", "ctrl+k", *"7", "tab", "ctrl+a", "ctrl+k", *"3000",
                              "enter")
            await wait_until(pilot, lambda: app.model.cells["wasmtime/nbody/cold"].status
                             == "done" and idle(app)())
            cell = app.model.cells["wasmtime/nbody/cold"]
            assert (len(cell.wall_ns), cell.size, cell.iterations) == (7, 3000, 7)

            await pilot.press("v")
            await pilot.pause(0.2)
            table = app.screen.query_one(DataTable)
            shown = {key.value: table.get_row(key)[3].plain for key in table.rows}
        first, rerun = planned(tmp_path / "results.jsonl")
        assert first == sent
        assert rerun.origin == "re-run of wasmtime/nbody/cold"
        assert rerun.settings == sent.settings and rerun.settings.preset == "standard"
        assert [(c.cell_id, c.size, c.iterations) for c in rerun.cells] == [
            ("wasmtime/nbody/cold", 3000, 7)]
        from_file = samples(tmp_path / "results.jsonl")
        assert len(from_file["wasmtime/nbody/cold"]) == 7
        assert shown == {cid: fmt_ns(statistics.median(v)) for cid, v in from_file.items()}
        assert RunModel.from_events(read_events(tmp_path / "results.jsonl"), []).cells[
            "wasmtime/nbody/cold"].wall_ns == cell.wall_ns

    run(scenario())


def test_cancel_cell_then_run(tmp_path: Path) -> None:
    """c skips the rest of the current cell, x stops the run; what was measured is kept."""
    async def scenario() -> None:
        app = make(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            choose(app, {"nbody": 200_000}, 200)
            await pilot.press("ctrl+r")  # cells appear when the engine announces them
            await wait_until(pilot, lambda: "native/nbody/cold" in app.model.cells)
            first = app.model.cells["native/nbody/cold"]
            await wait_until(pilot, lambda: first.measured >= 2)
            await pilot.press("c")
            second = app.model.cells["wasmtime/nbody/cold"]
            await wait_until(pilot, lambda: second.measured >= 1)
            await pilot.press("x")
            await wait_until(pilot, idle(app))
            assert first.status == second.status == "cancelled"
            assert 2 <= len(first.wall_ns) < 200 and 1 <= len(second.wall_ns) < 200
            assert "cancelled" in screen_text(app)
        last = read_rows(tmp_path / "results.jsonl")[-1]
        assert last["event"] == "run_finished" and last["cancelled"] is True

    run(scenario())
