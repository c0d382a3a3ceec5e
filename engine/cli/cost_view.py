"""The cost table: per runtime and benchmark, cost per million invocations under GB-seconds,
CPU-time and fuel billing, and what the GB-seconds model bills beyond the time used.

``cost_section`` is what ``faasbench report RUN --cost`` prints.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from rich.console import Console
from rich.table import Table

from ..billing import CostRow, PriceModel, cost_rows, load_price_model
from ..units import fmt_ns

WIDTH = 120


def _usd(value: Optional[float]) -> str:
    return "not measured" if value is None else f"${value:.4g}"


def cost_table(rows: Sequence[CostRow]) -> Table:
    table = Table(title="cost per million invocations (verified, measured samples)",
                  caption_justify="left")
    for column in ("runtime", "benchmark", "mode", "n", "used", "billed", "memory",
                   "GB-s", "unused", "CPU time", "fuel"):
        table.add_column(column, justify="left" if column in ("runtime", "benchmark", "mode")
                         else "right")
    reasons: dict[str, list[str]] = {}
    for r in rows:
        table.add_row(r.runtime, f"{r.benchmark} {r.size}" if r.size else r.benchmark, r.mode,
                      str(r.invocations), fmt_ns(r.used_ms * 1e6), fmt_ns(r.billed_ms * 1e6),
                      f"{r.memory_mb:g} MB", _usd(r.gb_seconds_per_million),
                      f"{r.unused_share:.0%}", _usd(r.cpu_per_million), _usd(r.fuel_per_million))
        for why in (r.cpu_why, r.fuel_why):
            if why and r.runtime not in reasons.setdefault(why, []):
                reasons[why].append(r.runtime)
    table.caption = ("used / billed: median duration measured / billed (GB-seconds model); "
                     "unused: the share of the GB-seconds duration charge for time not used"
                     + "".join(f"\nnot measured for {', '.join(names)}: {why}"
                               for why, names in reasons.items()))
    return table


def render_cost(rows: Sequence[CostRow], model: Optional[PriceModel] = None) -> str:
    """The table as text, with the price lists it uses when ``model`` is given."""
    out = io.StringIO()
    console = Console(file=out, width=WIDTH, force_terminal=False, color_system=None)
    console.print(cost_table(rows))
    if model is not None:
        for source in model.sources():
            console.print(f"prices, {source}", overflow="fold")
    return out.getvalue()


def usage_cost(rows: Sequence[dict[str, Any]], model: PriceModel) -> str:
    """One cell's pay-as-you-use cost per million invocations, compact (the dashboard's
    compare view): CPU-time and fuel billing, whichever were measured; "" when neither."""
    costs = cost_rows(rows, model)
    if len(costs) != 1:
        return ""
    row = costs[0]
    return " ".join(f"{name} ${value:.3g}" for name, value in (
        ("cpu", row.cpu_per_million), ("fuel", row.fuel_per_million)) if value is not None)


def cost_section(rows: Sequence[dict[str, Any]], price_model_path: Optional[Path]) -> str:
    """``report --cost``: the three billing models over a run's rows (PlanError on a bad
    price model file)."""
    model = load_price_model(price_model_path)
    costs = cost_rows(rows, model)
    if not costs:
        return "cost: no verified, measured samples in this run\n"
    return render_cost(costs, model)
