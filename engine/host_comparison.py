"""Hosts side by side: the same benchmark, size, runtime and mode on each host, against the
first host, with the ratio of medians and its bootstrap interval (``engine.comparison``).

Pure functions over results files' rows (one list per host), so the run summary, ``report``
and the dashboard show the same numbers and nothing is re-run.
"""

from __future__ import annotations

import statistics
from typing import Any

from .comparison import ratio_estimate
from .run_model import RunModel


def host_rows(results_by_host: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per benchmark/size/runtime/mode measured on at least two hosts: ``medians``
    (host: median wall ns) and ``vs`` (host: the RatioEstimate of its median over the first
    host's, None when either side has no ok samples). A cell that only stands in for another
    mode (``same_as``) has no values of its own and is left out."""
    models = {host: RunModel.from_rows(rows, []) for host, rows in results_by_host.items()}
    return rows_from_models(models)


def rows_from_models(models: dict[str, RunModel]) -> list[dict[str, Any]]:
    """``host_rows`` for models already folded (the dashboard keeps one per host)."""
    values: dict[tuple[str, int, str, str], dict[str, list[int]]] = {}
    for host, model in models.items():
        for cell in model.cells.values():
            if cell.same_as is None:
                key = (cell.benchmark, cell.size, cell.runtime, cell.mode)
                values.setdefault(key, {})[host] = cell.wall_ns
    hosts = list(models)
    rows = []
    for (bench, size, runtime, mode), by_host in values.items():
        if len(by_host) < 2:
            continue
        base = by_host.get(hosts[0], [])
        rows.append({
            "benchmark": bench, "size": size, "runtime": runtime, "mode": mode,
            "medians": {h: statistics.median(v) if v else None for h, v in by_host.items()},
            "vs": {h: ratio_estimate(v, base) for h, v in by_host.items() if h != hosts[0]},
        })
    return rows
