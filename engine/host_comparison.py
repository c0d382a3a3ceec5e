"""Hosts side by side: the same benchmark, size, runtime and mode on each host, against the
first host, with the ratio of medians and its bootstrap interval (``engine.comparison``).

Pure functions over results files' rows (one list per host), so the run summary, ``report``
and the dashboard show the same numbers and nothing is re-run.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from typing import Any

from .comparison import cached_ratio
from .remote.hosts import LOCAL
from .run_model import CellState, RunModel


def cells_by_host(model: RunModel) -> dict[str, list[CellState]]:
    """A model of a run on several hosts (the dashboard's) split by host; cells run without
    one count as ``local``."""
    split: dict[str, list[CellState]] = {}
    for cell in model.cells.values():
        split.setdefault(cell.machine or LOCAL, []).append(cell)
    return split


def rows_from_cells(cells: Mapping[str, Iterable[CellState]]) -> list[dict[str, Any]]:
    """One row per benchmark/size/runtime/mode measured on at least two hosts (cells already
    folded, one iterable per host): ``medians`` (host: median wall ns) and ``vs`` (host: the
    RatioEstimate of its median over the first host's, None when either side has no ok
    samples). A cell that only stands in for another mode (``same_as``) has no values of its
    own and is left out. Ratios are cached: the dashboard redraws often."""
    values: dict[tuple[str, int, str, str], dict[str, list[int]]] = {}
    for host, host_cells in cells.items():
        for cell in host_cells:
            if cell.same_as is None:
                key = (cell.benchmark, cell.size, cell.runtime, cell.mode)
                values.setdefault(key, {})[host] = cell.wall_ns
    hosts = list(cells)
    rows = []
    for (bench, size, runtime, mode), by_host in values.items():
        if len(by_host) < 2:
            continue
        base = by_host.get(hosts[0], [])
        rows.append({
            "benchmark": bench, "size": size, "runtime": runtime, "mode": mode,
            "medians": {h: statistics.median(v) if v else None for h, v in by_host.items()},
            "vs": {h: cached_ratio(v, base) for h, v in by_host.items()
                   if h != hosts[0]},
        })
    return rows
