"""The hosts-side-by-side table (``engine.host_comparison``) for the terminal."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from ..units import UNCLEAR, fmt_estimate, fmt_ns


def host_table(rows: list[dict[str, Any]], hosts: list[str]) -> Table:
    """Per benchmark/size/runtime/mode: each host's median, then each other host over the
    first with the 95% interval (≈: it contains 1, no clear difference)."""
    first, others = hosts[0], hosts[1:]
    table = Table(title=f"hosts side by side (ratio: host ÷ {first}, 95% bootstrap interval)",
                  caption=f"{UNCLEAR}: the interval contains 1, no clear difference")
    for column in ("benchmark", "size", "runtime", "mode"):
        table.add_column(column)
    for host in hosts:
        table.add_column(f"median {host}", justify="right")
    for host in others:
        table.add_column(f"{host} ÷ {first}", justify="right")
    for row in rows:
        table.add_row(row["benchmark"], str(row["size"]), row["runtime"], row["mode"],
                      *(fmt_ns(row["medians"].get(h)) for h in hosts),
                      *(fmt_estimate(row["vs"].get(h)) for h in others))
    return table
