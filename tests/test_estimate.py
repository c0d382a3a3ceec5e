"""The run estimate: medians from earlier results files, scaled by each program's work for a
size never run before, unknown when a runtime, benchmark and mode were never measured."""

from __future__ import annotations

import shutil
import statistics

import pytest
from tui_support import RECORDED

from engine.estimate import cell_median, estimate, load_history
from engine.plan import Cell
from engine.results import read_results

pytestmark = pytest.mark.fast


def test_history_medians_come_from_the_files_and_scale_by_work(tmp_path):
    shutil.copy(RECORDED, tmp_path / "run.jsonl")
    history = load_history(tmp_path)
    walls = [r["wall_ns"] for r in read_results(RECORDED)
             if r["event"] == "sample_recorded" and r["cell_id"] == "wasmtime/nbody/warm"
             and r["ok"] and not r["warmup"]]
    measured = history[("wasmtime", "nbody", "warm", 10000)]
    assert measured == pytest.approx(statistics.median(walls))
    doubled = Cell("wasmtime", "nbody", 20000, "warm", 3, 1)
    assert cell_median(doubled, history) == pytest.approx(2 * measured), "nbody is linear"
    never = Cell("wasmer", "nbody", 10000, "warm", 3, 1)
    seconds, unknown = estimate([doubled, never], history)
    assert unknown == 1 and seconds == pytest.approx(4 * 2 * measured / 1e9)
