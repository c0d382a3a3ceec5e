"""The hosts-side-by-side table (``engine.host_comparison``) as a report table, so text,
Markdown and the run summary show it alike."""

from __future__ import annotations

from typing import Any

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
        caption=f"{UNCLEAR}: the interval contains 1, no clear difference")
