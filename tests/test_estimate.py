"""The run estimate: medians from earlier results files, scaled by each program's work for a
size never run before, unknown when a runtime, benchmark and mode were never measured."""

from __future__ import annotations

import json
import os
import shutil
import statistics

import pytest
from conftest import read_rows
from tui_support import RECORDED

from engine.report.estimate import cell_median, estimate, load_history
from engine.spec.plan import Cell

pytestmark = pytest.mark.fast


def test_history_medians_come_from_the_files_and_scale_by_work(tmp_path):
    shutil.copy(RECORDED, tmp_path / "run.jsonl")
    history = load_history(tmp_path)
    walls = [r["wall_ns"] for r in read_rows(RECORDED)
             if r["event"] == "sample_recorded" and r["cell_id"] == "wasmtime/nbody/warm"
             and r["ok"] and not r["warmup"]]
    measured = history[("wasmtime", "nbody", "warm", 10000)]
    assert measured == pytest.approx(statistics.median(walls))
    doubled = Cell("wasmtime", "nbody", 20000, "warm", 3, 1)
    assert cell_median(doubled, history) == pytest.approx(2 * measured), "nbody is linear"
    never = Cell("wasmer", "nbody", 10000, "warm", 3, 1)
    seconds, unknown = estimate([doubled, never], history)
    assert unknown == 1 and seconds == pytest.approx(4 * 2 * measured / 1e9)


def test_newer_files_win_and_a_damaged_line_is_skipped(tmp_path):
    """A later run of the same cell replaces its median; a cell_finished line cut off mid-way
    (a run killed while writing) costs only itself."""
    shutil.copy(RECORDED, tmp_path / "old.jsonl")
    finished = next(r for r in read_rows(RECORDED)
                    if r["event"] == "cell_finished" and r["cell_id"] == "wasmtime/nbody/warm")
    finished["summary"]["median"] = 12345.0
    line = json.dumps(finished, separators=(",", ":"))
    (tmp_path / "new.jsonl").write_text(f"{line[:40]}\n{line}\n")
    os.utime(tmp_path / "old.jsonl", (1, 1))
    history = load_history(tmp_path)
    assert history[("wasmtime", "nbody", "warm", 10000)] == 12345.0
