"""Run history over real runs: `faasbench history` lists finished, cancelled and cut-off runs,
`faasbench compare` shows the change per cell, runs are named by id, prefix or path, and a
results file cut off mid-line or edited by hand loads everywhere with one warning."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

import pytest
from conftest import read_rows
from test_interrupts import wait_for_samples
from textual.widgets import DataTable
from tui_support import RECORDED, choose, report, wait_until

from engine.report.compare_runs import change_row, compare_runs
from engine.report.units import fmt_ns, fmt_ratio
from engine.serial import SerialError
from engine.stats.summary import ratio_estimate
from engine.store.events import from_dict
from engine.store.history import COLUMNS, describe, list_runs, resolve, run_id_of, table_row
from engine.store.results import ResultsWriter, load_model, load_results, read_events
from engine.store.run_model import RunModel
from tui.app import Config, make_app
from tui.screens.history import HistoryScreen, RunComparisonScreen
from tui.screens.side_by_side import SideBySideScreen

QUICK = ["run", "--runtimes", "native", "--benchmarks", "nop", "--iterations", "3"]
LONG = ["run", "--runtimes", "native", "--benchmarks", "nop", "--iterations", "100000"]


def faasbench(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "faasbench", *args], capture_output=True,
                          text=True, timeout=300, input="",
                          env={**os.environ, "FAASBENCH_DATA_DIR": str(data)})


def new_file(data: Path, before: set[Path], proc: subprocess.Popen[bytes]) -> Path:
    """The results file a run started after ``before`` was listed has created."""
    deadline = time.monotonic() + 120
    while not (new := set((data / "results").glob("*.jsonl")) - before):
        assert proc.poll() in (None, 0) and time.monotonic() < deadline, "no results file"
        time.sleep(0.05)
    (path,) = new
    return path


def run(data: Path, args: list[str], stop: Optional[int] = None) -> Path:
    """A run into ``data``; ``stop`` is sent once it has measured a few samples."""
    before = set((data / "results").glob("*.jsonl"))
    proc = subprocess.Popen([sys.executable, "-m", "faasbench", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "FAASBENCH_DATA_DIR": str(data)})
    try:
        path = new_file(data, before, proc)
        if stop is not None:
            wait_for_samples(path, 5)
            proc.send_signal(stop)
        proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == {None: 0, signal.SIGINT: 130, signal.SIGKILL: -9}[stop]
    return path


def measured(path: Path) -> tuple[int, int]:
    """(ok, failed) measured samples, counted from the file's parsed lines."""
    rows = [r for r in read_rows(path) if r["event"] == "sample_recorded" and not r["warmup"]]
    return sum(r["ok"] for r in rows), sum(not r["ok"] for r in rows)


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A data dir holding two finished quick runs, a cancelled and a cut-off (SIGKILLed) one."""
    data = tmp_path_factory.mktemp("history-data")
    (data / "results").mkdir()
    return {"data": data, "finished": [run(data, QUICK), run(data, QUICK)],
            "cancelled": run(data, LONG, signal.SIGINT),
            "cut off": run(data, LONG, signal.SIGKILL)}


def one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("faasbench: error: "), out.stderr
    return lines[0]


def test_history_lists_every_kept_run(kept: dict[str, Any]) -> None:
    out = faasbench(kept["data"], "history", "--json")
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert [r["started"] for r in listed] == sorted((r["started"] for r in listed),
                                                    reverse=True), "newest first"
    by_path = {Path(r["path"]): r for r in listed}
    expected = {kept["finished"][0]: "finished", kept["finished"][1]: "finished",
                kept["cancelled"]: "cancelled", kept["cut off"]: "cut off"}
    assert {path: r["status"] for path, r in by_path.items()} == expected
    for path, row in by_path.items():
        assert (row["ok"], row["failed"]) == measured(path)
        assert row["run_id"] == read_rows(path)[0]["run_id"]
        assert (row["host"], row["runtimes"], row["benchmarks"], row["modes"],
                row["presets"], row["runs"]) == (socket.gethostname(), ["native"], ["nop"],
                                                 ["cold"], ["quick"], 1)
        assert row["warning"] is None
    assert all(by_path[p]["ok"] == 3 for p in kept["finished"])
    assert by_path[kept["cancelled"]]["ok"] == read_rows(kept["cancelled"])[-1]["ok_samples"]

    table = faasbench(kept["data"], "history")
    assert table.returncode == 0, table.stderr
    for path, status in expected.items():
        line = next(line for line in table.stdout.splitlines() if run_id_of(path) in line)
        assert status in line and "native × nop × cold (quick)" in line


def test_runs_resolve_by_id_prefix_and_path(kept: dict[str, Any]) -> None:
    folder = kept["data"] / "results"
    for path in [*kept["finished"], kept["cancelled"], kept["cut off"]]:
        run_id = run_id_of(path)
        unique = next(run_id[:n] for n in range(1, len(run_id) + 1)
                      if sum(run_id_of(p).startswith(run_id[:n])
                             for p in folder.glob("*.jsonl")) == 1)
        assert resolve(run_id, folder) == resolve(unique, folder) == path
        assert resolve(str(path), folder) == path


def test_compare_two_runs(kept: dict[str, Any]) -> None:
    a, b = kept["finished"]
    out = faasbench(kept["data"], "compare", run_id_of(a), run_id_of(b)[:6])
    assert out.returncode == 0, out.stderr
    walls = [RunModel.from_events(read_events(p), []).cells["native/nop/cold"].wall_ns
             for p in (a, b)]
    estimate = ratio_estimate(walls[1], walls[0])
    verdict = "no clear difference" if not estimate.clear else \
        "slower" if estimate.ratio > 1 else "faster"
    row = next(line for line in out.stdout.splitlines() if "native/nop/cold" in line).split()
    assert " ".join(row) == " ".join([
        "native/nop/cold", "0", fmt_ns(statistics.median(walls[0])),
        fmt_ns(statistics.median(walls[1])), fmt_ratio(estimate.ratio),
        f"{fmt_ratio(estimate.low)}–{fmt_ratio(estimate.high)}", verdict])
    assert f"A = {run_id_of(a)}, B = {run_id_of(b)}" in out.stdout

    other = faasbench(kept["data"], "compare", str(a), str(RECORDED))
    assert other.returncode == 0, other.stderr
    assert "native/nop/cold" in other.stdout
    only = next(line for line in other.stdout.splitlines() if line.startswith("only in"))
    assert only.startswith("only in recorded_run: ") and "wasmtime/nop/cold (size 0)" in only


def test_ambiguous_and_unknown_runs_are_one_line_errors(kept: dict[str, Any],
                                                        tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    for run_id in ("abc111", "abc222"):
        shutil.copy(kept["finished"][0], tmp_path / "results" / f"run-20260101-000000-{run_id}"
                                                                 ".jsonl")
    line = one_line_error(faasbench(tmp_path, "compare", "abc", "abc111"))
    assert "run 'abc' is ambiguous: it starts abc111, abc222" in line
    line = one_line_error(faasbench(tmp_path, "compare", "abc111", "zzz"))
    assert "no run 'zzz'" in line and "`faasbench history` lists the runs" in line
    assert "ambiguous" in one_line_error(faasbench(tmp_path, "report", "ab"))


def damage(source: Path, target: Path) -> int:
    """A copy of a real results file with a hand-edited line 3 and its last line cut in half
    (the run_finished line dropped first: the run was killed while writing); returns the
    number of the cut line."""
    lines = source.read_text().splitlines(keepends=True)[:-1]
    lines.insert(2, "hand-edited: this is not an event\n")
    lines[-1] = lines[-1][:len(lines[-1]) // 2]
    target.write_text("".join(lines))
    return len(lines)


def test_a_cut_off_and_hand_edited_file_loads_everywhere_with_one_warning(
        kept: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    path = tmp_path / "results" / "run-20260101-000000-damaged.jsonl"
    cut = damage(kept["finished"][0], path)
    shutil.copy(kept["finished"][1], tmp_path / "results")
    loaded = load_results(path)
    assert [b.number for b in loaded.bad] == [3, cut]
    assert "cut off mid-line" in loaded.bad[1].reason
    assert loaded.warning == (f"{path}:3: skipped, not JSON (JSON is malformed: invalid "
                              f"character (byte 0)) (and 1 more bad line: {cut})")
    assert len(RunModel.from_events(loaded.events, []).cells["native/nop/cold"].wall_ns) == 3

    for args in (["history"], ["compare", "damaged", run_id_of(kept["finished"][1])],
                 ["report", "damaged"]):
        out = faasbench(tmp_path, *args)
        assert out.returncode == 0, out.stderr
        warnings = out.stderr.strip().splitlines()
        assert len(warnings) == 1 and warnings[0].startswith(
            f"faasbench: warning: {path}:3: skipped"), out.stderr
    assert {i.run_id: i.status for i in list_runs(tmp_path / "results")}["damaged"] == "cut off"

    async def dashboard() -> None:
        """The dashboard replays the file, and opens it from its history, saying why once."""
        app = make_app(Config(doctor_report=report("native"), history_dir=tmp_path / "results",
                              replay=path, results_path=tmp_path / "session.jsonl"))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert len(app.model.cells["native/nop/cold"].wall_ns) == 3
            assert [n.message for n in app._notifications] == [loaded.warning]
            await pilot.press("h")
            table = app.screen.query_one("#runs", DataTable)
            table.move_cursor(row=[k.value for k in table.rows].index(str(path)))
            await pilot.press("enter")
            assert isinstance(app.screen, SideBySideScreen)
            assert app.screen.model.cells["native/nop/cold"].wall_ns == \
                app.model.cells["native/nop/cold"].wall_ns
            assert [n.message for n in app._notifications][-1] == loaded.warning

    asyncio.run(dashboard())


def test_history_screen_opens_a_run_and_compares_two(kept: dict[str, Any],
                                                      tmp_path: Path) -> None:
    folder = kept["data"] / "results"
    a, b = kept["finished"]

    async def scenario() -> None:
        app = make_app(Config(doctor_report=report("native"), history_dir=folder,
                              results_path=tmp_path / "session.jsonl"))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("h")
            assert isinstance(app.screen, HistoryScreen)
            table = app.screen.query_one("#runs", DataTable)
            assert [str(c.label) for c in table.ordered_columns][1:] == list(COLUMNS)
            assert [table.get_row_at(i)[1:] for i in range(table.row_count)] == [
                table_row(info) for info in list_runs(folder)]
            paths = [Path(key.value) for key in table.rows]

            table.move_cursor(row=paths.index(kept["cut off"]))
            await pilot.press("enter")
            assert isinstance(app.screen, SideBySideScreen)
            assert app.screen.model.cells["native/nop/cold"].wall_ns == RunModel.from_events(
                read_events(kept["cut off"]), []).cells["native/nop/cold"].wall_ns
            await pilot.press("r")
            assert "past run" in [n.message for n in app._notifications][-1]
            await pilot.press("escape")

            await pilot.press("d")
            assert isinstance(app.screen, HistoryScreen), "d needs two marked runs"
            for path in (a, b):
                table.move_cursor(row=paths.index(path))
                await pilot.press("space")
            assert [str(table.get_row_at(paths.index(p))[0]) for p in (a, b)] == ["A", "B"]
            await pilot.press("d")
            await pilot.pause()
            assert isinstance(app.screen, RunComparisonScreen)
            changes = app.screen.query_one("#changes", DataTable)
            expected = compare_runs(load_model(a)[0], load_model(b)[0])
            assert [changes.get_row_at(i) for i in range(changes.row_count)] == [
                change_row(change) for change in expected.both]

    asyncio.run(scenario())


@pytest.mark.fast
@pytest.mark.parametrize(("row", "why"), [
    (["not", "an", "object"], "Expected `object`, got `array`"),
    ({"run_id": "x"}, "Object missing required field `event`"),
    ({"event": "run_exploded"}, "Invalid value 'run_exploded' - at `$.event`"),
    ({"event": "run_finished", "run_id": "x"}, "Object missing required field `ok_samples`"),
    ({"event": "run_error", "message": 42}, "Expected `str`, got `int` - at `$.message`"),
])
def test_rows_that_are_not_events_are_named_not_crashes(row: Any, why: str,
                                                         tmp_path: Path) -> None:
    with pytest.raises(SerialError, match="^" + re.escape(why)):
        from_dict(row)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_bytes(RECORDED.read_bytes() + json.dumps(row).encode() + b"\n")
    loaded = load_results(damaged)
    model, warnings = load_model(damaged)
    assert model.cells == RunModel.from_events(read_events(RECORDED), []).cells
    assert [bad.number for bad in loaded.bad] == [len(read_events(RECORDED)) + 1]
    assert warnings and why in warnings[0]


@pytest.mark.fast
def test_a_results_file_exists_once_an_event_is_in_it(tmp_path: Path) -> None:
    """A run refused before its first event leaves no file for history to list as an empty
    run; one that wrote holds exactly its events, a line each."""
    runs = tmp_path / "runs"
    idle = ResultsWriter(runs / "run-20260101-000000-idle.jsonl")
    idle.close()
    idle.close()
    assert not runs.exists() and list_runs(runs) == []
    events = [from_dict(row) for row in read_rows(RECORDED)]
    path = runs / "run-20260101-000001-kept.jsonl"
    writer = ResultsWriter(path)
    lines = [writer.write(event) for event in events]
    writer.close()
    assert path.read_text() == "".join(line + "\n" for line in lines)
    assert [from_dict(row) for row in read_rows(path)] == events
    assert [info.path for info in list_runs(runs)] == [path]


@pytest.mark.fast
def test_a_dashboard_session_file_is_one_entry_covering_its_runs(tmp_path: Path) -> None:
    """The dashboard appends each run to its session's file: counts add up, and the file is
    cut off when its last run has no run_finished (the dashboard was killed mid-run)."""
    recorded = RECORDED.read_text()
    ok = sum(r["ok_samples"] for r in read_rows(RECORDED) if r["event"] == "run_finished")
    session = tmp_path / "run-20260101-000000-tui-abc123.jsonl"
    session.write_text(recorded * 2)
    info = describe(session)
    assert (info.run_id, info.runs, info.status, info.ok, info.failed) == (
        "tui-abc123", 2, "finished", 2 * ok, 0)
    assert info.runtimes == ("native", "wasmtime") and info.modes == ("cold", "load", "warm")
    assert table_row(info)[-1] == "finished (2 runs)"
    session.write_text(recorded + recorded.rsplit("\n", 2)[0] + "\n")
    assert describe(session).status == "cut off"
    empty = tmp_path / "run-20260101-000001-x.jsonl"
    empty.write_text("")
    assert (describe(empty).status, describe(empty).runs, describe(empty).host) == (
        "cut off", 0, None)


def test_a_dashboard_run_is_kept_in_the_data_dir_and_listed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAASBENCH_DATA_DIR", str(tmp_path))

    async def scenario() -> None:
        app = make_app(Config(doctor_report=report("native")))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            choose(app, {"nop": 0}, 3)
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.link is not None and not app.link.busy
                             and app.model.tally.ok == 3)
            await pilot.press("h")
            table = app.screen.query_one("#runs", DataTable)
            assert [Path(key.value) for key in table.rows] == [app.results_path]
            row = table.get_row_at(0)
            assert row[1].startswith("tui-") and row[-1] == "finished"
            assert app.results_path.parent == tmp_path / "results"

    asyncio.run(scenario())


@pytest.mark.fast
def test_a_results_file_of_an_earlier_faasbench_still_loads(tmp_path: Path) -> None:
    """Kept runs outlive a faasbench release: a file recorded before the engine's records were
    renamed (its cold cells name a "host", now ``cold_process``) loads whole, no line lost."""
    older = Path(__file__).parent / "data" / "older_results.jsonl"
    loaded = load_results(older)
    assert not loaded.bad
    model, warnings = load_model(older)
    assert not warnings and len(model.cells) == 18
    assert all(c.wall_ns for c in model.cells.values() if c.same_as is None)
    assert model.finished is not None and model.finished.ok_samples == model.tally.ok == 75
