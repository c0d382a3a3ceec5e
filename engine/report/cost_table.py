"""The cost table: per runtime and benchmark, cost per million invocations under GB-seconds,
CPU-time and fuel billing, and what the GB-seconds model bills beyond the time used.

``cost_section`` is what ``faasbench report RUN --cost`` shows; ``usage_cost`` the dashboard's
compact figure per cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Optional

from engine.report.billing import CostRow, PriceModel, cost_rows, load_price_model
from engine.report.tables import Table
from engine.report.units import fmt_ns
from engine.store.events import Event


def _usd(value: Optional[float]) -> str:
    return "not measured" if value is None else f"${value:.4g}"


def cost_table(rows: Sequence[CostRow], model: Optional[PriceModel] = None) -> Table:
    """The rows as a table; its caption names the price lists ``model`` takes them from."""
    reasons: dict[str, list[str]] = {}
    for r in rows:
        for why in (r.cpu_why, r.fuel_why):
            if why and r.runtime not in reasons.setdefault(why, []):
                reasons[why].append(r.runtime)
    caption = ("used / billed: median duration measured / billed (GB-seconds model); unused: "
               "the share of the GB-seconds duration charge for time not used"
               + "".join(f"\nnot measured for {', '.join(names)}: {why}"
                         for why, names in reasons.items())
               + "".join(f"\nprices, {source}" for source in (model.sources() if model else ())))
    return Table(
        "cost per million invocations (verified, measured samples)",
        ["runtime", "benchmark", "mode", "n", "used", "billed", "memory", "GB-s", "unused",
         "CPU time", "fuel"],
        [[r.runtime, f"{r.benchmark} {r.size}" if r.size else r.benchmark, r.mode,
          str(r.invocations), fmt_ns(r.used_ms * 1e6), fmt_ns(r.billed_ms * 1e6),
          f"{r.memory_mb:g} MB", _usd(r.gb_seconds_per_million), f"{r.unused_share:.0%}",
          _usd(r.cpu_per_million), _usd(r.fuel_per_million)] for r in rows],
        caption=caption)


def usage_cost(samples: Iterable[Event], model: PriceModel) -> str:
    """One cell's pay-as-you-use cost per million invocations, compact (the dashboard's side by
    side view): CPU-time and fuel billing, whichever were measured; "" when neither."""
    costs = cost_rows(samples, model)
    if len(costs) != 1:
        return ""
    row = costs[0]
    return " ".join(f"{name} ${value:.3g}" for name, value in (
        ("cpu", row.cpu_per_million), ("fuel", row.fuel_per_million)) if value is not None)


def cost_section(events: Iterable[Event], price_model_path: Optional[Path]) -> Optional[Table]:
    """``report --cost``: the three billing models over a run's samples (None: no verified,
    measured sample); PriceModelError on a bad price model file."""
    model = load_price_model(price_model_path)
    costs = cost_rows(events, model)
    return cost_table(costs, model) if costs else None
