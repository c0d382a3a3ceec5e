"""Two runs compared (``faasbench compare``, the history screen's ``d``): like cells only, the
change with its interval, and a verdict named by where the interval lies."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest
from conftest import read_rows
from tui_support import RECORDED

from engine.report.compare_runs import CellChange, compare_runs
from engine.stats.summary import RatioEstimate
from engine.store.events import from_dict
from engine.store.results import read_events
from engine.store.run_model import RunModel

pytestmark = pytest.mark.fast


def resized(rows: list[dict[str, Any]], benchmark: str, size: int) -> list[dict[str, Any]]:
    """The rows with ``benchmark`` run at another size (its cells and its planned cells)."""
    rows = json.loads(json.dumps(rows))
    for row in rows:
        for cell in [row, *row.get("plan", {}).get("cells", [])]:
            if cell.get("benchmark") == benchmark:
                cell["size"] = size
    return rows


@pytest.mark.fast
def test_compare_takes_like_cells_and_lists_the_rest() -> None:
    """B: the recorded run without wasmtime's samples, and nbody at another size."""
    rows = read_rows(RECORDED)
    a = RunModel.from_events(read_events(RECORDED), [])
    b = RunModel.from_events([from_dict(r) for r in resized(
        [r for r in rows if r["event"] != "sample_recorded" or r["runtime"] != "wasmtime"],
        "nbody", 20000)], [])
    result = compare_runs(a, b)
    changes = {f"{c.key[0]}/{c.key[1]}/{c.key[3]}": c for c in result.both}
    assert set(changes) == {f"{rt}/{bench}/{mode}" for bench in ("nop", "cat-sync")
                            for rt, mode in [("native", "cold"), ("native", "warm"),
                                             ("wasmtime", "cold"), ("wasmtime", "load"),
                                             ("wasmtime", "warm")]}, \
        "native's load only stands in for its cold: nothing of its own to compare"
    for key, change in changes.items():
        if key.startswith("native"):
            assert change.change.ratio == 1.0 and change.verdict == "no clear difference"
        else:
            assert change.median_b is None and change.verdict == "B without ok samples"
    assert sorted(result.only_a) == sorted((k[0], "nbody", 10000, k[3]) for k in result.only_b)
    assert len(result.only_a) == 5


@pytest.mark.parametrize(("change", "medians", "verdict"), [
    (RatioEstimate(2.0, 1.8, 2.2), (1.0, 2.0), "slower"),
    (RatioEstimate(0.5, 0.4, 0.6), (2.0, 1.0), "faster"),
    (RatioEstimate(1.1, 0.9, 1.3), (1.0, 1.1), "no clear difference"),
    (None, (0.0, 1.0), "no ratio: A's median is 0"),
    (None, (None, 1.0), "A without ok samples"),
    (None, (None, None), "A and B without ok samples"),
])
def test_a_change_is_named_by_where_its_interval_lies(
        change: Optional[RatioEstimate], medians: tuple[Optional[float], Optional[float]],
        verdict: str) -> None:
    key = ("native", "nop", 0, "cold")
    assert CellChange(key, *medians, change).verdict == verdict
