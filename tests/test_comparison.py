"""Ratios compare like with like: over a recorded run, "× docker" and "× native" never divide by
another mode's median (native's cold stands in for its load, as its results record), and the
CLI tables and the dashboard take them from the same rule."""

from __future__ import annotations

import statistics

import pytest
from conftest import read_rows
from tui_support import RECORDED

from engine.report import analysis
from engine.stats.ratios import Figure, baseline_values, ratios
from engine.store.results import read_events
from engine.store.run_model import RunModel

pytestmark = pytest.mark.fast


def medians_from_file() -> dict[tuple[str, str, str], float]:
    """(runtime, benchmark, mode) → median of the measured ok samples, straight from the file."""
    walls: dict[tuple[str, str, str], list[int]] = {}
    for row in read_rows(RECORDED):
        if row["event"] == "sample_recorded" and row["ok"] and not row["warmup"]:
            walls.setdefault((row["runtime"], row["benchmark"], row["mode"]), []).append(
                row["wall_ns"])
    return {key: statistics.median(values) for key, values in walls.items()}


def test_the_recorded_run_covers_every_mode() -> None:
    modes = {mode for _, _, mode in medians_from_file()}
    assert modes == {"cold", "load", "warm"}
    stand_ins = [row for row in read_rows(RECORDED)
                 if row["event"] == "cell_finished" and row.get("same_as")]
    assert {(r["runtime"], r["mode"], r["same_as"]) for r in stand_ins} == {
        ("native", "load", "cold")}


def test_dashboard_ratios_never_mix_modes() -> None:
    medians = medians_from_file()
    model = RunModel.from_events(read_events(RECORDED), [])
    checked = 0
    for group in analysis.side_by_side_rows(model):
        for row in group:
            cell = row.cell
            mine = medians.get((cell.runtime, cell.benchmark, cell.mode))
            native_mode = "cold" if cell.mode == "load" else cell.mode  # native's stand-in
            native = medians[("native", cell.benchmark, native_mode)]
            if mine is None or cell.runtime == "native":
                assert row.vs["native"] is None, "no ratio without samples, none to itself"
                continue
            estimate = row.vs["native"]
            assert estimate.ratio == pytest.approx(mine / native)
            assert estimate.low <= estimate.ratio <= estimate.high
            assert row.vs["docker"] is None, "no docker in this run: no docker ratio"
            checked += 1
    assert checked == 9  # 3 benchmarks x 3 modes of wasmtime


def test_a_stand_in_is_followed_once_and_only_for_its_own_runtime() -> None:
    figures = [Figure("native", "cold", [10.0]), Figure("native", "load", [], same_as="cold"),
               Figure("docker", "cold", [100.0]), Figure("docker", "load", [50.0]),
               Figure("wasm", "load", [5.0]), Figure("wasm", "warm", [1.0])]
    assert baseline_values(figures, "native", "load") == [10.0]
    assert not baseline_values(figures, "docker", "warm"), "no docker warm: no ratio"
    by_figure = dict(zip(((f.runtime, f.mode) for f in figures), ratios(figures)))
    assert {k: e.ratio for k, e in by_figure[("wasm", "load")].items()} == {
        "docker": 0.1, "native": 0.5}
    assert by_figure[("wasm", "warm")] == {"docker": None, "native": None}
    assert by_figure[("native", "load")] == {"docker": None, "native": None}
