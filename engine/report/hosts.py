"""Hosts side by side: the same benchmark, size, runtime and mode on each host, against the
first host, with the ratio of medians and its bootstrap interval (``engine.stats.ratios``).

Pure functions over folded runs (one per host), so the run's closing summary, ``report`` and
the dashboard show the same numbers and nothing is re-run; ``host_sections`` gives a run on
several hosts as report tables: each host's own (titled with the host), then the hosts side by
side.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Callable, Optional

from engine.remote.hosts import LOCAL
from engine.report.tables import Table
from engine.report.units import UNCLEAR, fmt_estimate, fmt_ns
from engine.stats.ratios import cached_ratio
from engine.stats.summary import RatioEstimate
from engine.store.run_model import CellState, RunModel


@dataclass(frozen=True)
class HostRow:
    """One benchmark/size/runtime/mode measured on two hosts or more."""

    benchmark: str
    size: int
    runtime: str
    mode: str
    medians: dict[str, Optional[float]]
    """Host: its median wall time (ns), None without ok samples."""
    vs: dict[str, Optional[RatioEstimate]]
    """Each host but the first: its median over the first host's (None when either side has
    no ok samples)."""


def cells_by_host(model: RunModel) -> dict[str, list[CellState]]:
    """A model of a run on several hosts (the dashboard's) split by host; cells run without
    one count as ``local``."""
    split: dict[str, list[CellState]] = {}
    for cell in model.cells.values():
        split.setdefault(cell.host or LOCAL, []).append(cell)
    return split


def host_rows(cells: Mapping[str, Iterable[CellState]]) -> list[HostRow]:
    """One row per benchmark/size/runtime/mode measured on at least two hosts (cells already
    folded, one iterable per host). A cell that only stands in for another mode (``same_as``)
    has no values of its own and is left out. Ratios are cached: the dashboard redraws
    often."""
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
        rows.append(HostRow(
            bench, size, runtime, mode,
            {h: statistics.median(v) if v else None for h, v in by_host.items()},
            {h: cached_ratio(v, base) for h, v in by_host.items() if h != hosts[0]}))
    return rows


def host_table(rows: Sequence[HostRow], hosts: list[str]) -> Table:
    """Per benchmark/size/runtime/mode: each host's median, then each other host over the
    first with its 95% interval."""
    first, others = hosts[0], hosts[1:]
    return Table(
        f"hosts side by side (host ÷ {first}: ratio of medians, 95% bootstrap interval)",
        ["benchmark", "size", "runtime", "mode", *(f"median {h}" for h in hosts),
         *(f"{h} ÷ {first}" for h in others)],
        [[row.benchmark, str(row.size), row.runtime, row.mode,
          *(fmt_ns(row.medians.get(h)) for h in hosts),
          *(fmt_estimate(row.vs.get(h)) for h in others)] for row in rows],
        caption=f"{UNCLEAR}: the interval contains 1, no clear difference" if rows else
        "no cell was measured on two hosts")


def host_sections(models: dict[str, RunModel],
                  per_host: Callable[[RunModel], Sequence[Table]]) -> list[Table]:
    """``per_host``'s tables for each host, titled with it, then the hosts side by side."""
    sections = [replace(table, title=f"{host}: {table.title}")
                for host, model in models.items() for table in per_host(model)]
    if len(models) > 1:
        rows = host_rows({host: model.cells.values() for host, model in models.items()})
        sections.append(host_table(rows, list(models)))
    return sections
