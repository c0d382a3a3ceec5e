"""A run on several hosts as report tables: each host's own tables (titled with the host),
then the hosts side by side (``engine.host_comparison``), so text, Markdown and the run's
closing summary show them alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Callable

from ..host_comparison import rows_from_cells
from ..run_model import RunModel
from ..units import UNCLEAR, fmt_estimate, fmt_ns
from .tables import Table


def host_table(rows: list[dict[str, Any]], hosts: list[str]) -> Table:
    """Per benchmark/size/runtime/mode: each host's median, then each other host over the
    first with its 95% interval."""
    first, others = hosts[0], hosts[1:]
    return Table(
        f"hosts side by side (host ÷ {first}: ratio of medians, 95% bootstrap interval)",
        ["benchmark", "size", "runtime", "mode", *(f"median {h}" for h in hosts),
         *(f"{h} ÷ {first}" for h in others)],
        [[row["benchmark"], str(row["size"]), row["runtime"], row["mode"],
          *(fmt_ns(row["medians"].get(h)) for h in hosts),
          *(fmt_estimate(row["vs"].get(h)) for h in others)] for row in rows],
        caption=f"{UNCLEAR}: the interval contains 1, no clear difference" if rows else
        "no cell was measured on two hosts")


def host_sections(models: dict[str, RunModel],
                  per_host: Callable[[RunModel], Sequence[Table]]) -> list[Table]:
    """``per_host``'s tables for each host, titled with it, then the hosts side by side."""
    sections = [replace(table, title=f"{host}: {table.title}")
                for host, model in models.items() for table in per_host(model)]
    if len(models) > 1:
        rows = rows_from_cells({host: model.cells.values() for host, model in models.items()})
        sections.append(host_table(rows, list(models)))
    return sections
