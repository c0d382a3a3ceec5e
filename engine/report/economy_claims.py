"""The study's two claims it did not measure, judged on measurements (pure functions).

(f) density: WebAssembly "could offer ... scaling advantages": instances per GiB of each
    WebAssembly runtime against containers per GiB, from a ``faasbench scale`` run's steps.
(g) billing: it "could enable fine-grained, pay-as-you-use business models": the share of a
    nop invocation's GB-seconds charge that pays for time not used, against a fuel or CPU-time
    charge, which bills only what was used; from a run's samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

from engine.report.billing import CostRow, PriceModel, billed_ms, cost_rows, measured
from engine.report.units import fmt_ns
from engine.report.verdicts import Verdict, runtime_kind
from engine.stats.bootstrap import mean_interval
from engine.store.events import Event, ScaleStep
from engine.terms import FAILS, HOLDS, NOT_MEASURED, UNCLEAR

DENSITY_MARGIN = 0.10
"""A density difference within 10% is not called: PSS moves by that much between readings."""


def _runs(events: Sequence[Event]) -> list[str]:
    return sorted({run_id for e in events if (run_id := getattr(e, "run_id", None))})


def density_claim(scale_events: Sequence[Event]) -> Verdict:
    """(f): at the largest step docker and a WebAssembly runtime both reached, instances per
    GiB of each WebAssembly runtime against docker's."""
    claim = "WebAssembly instances per GiB exceed containers per GiB"
    compares = "instances per GiB (kernel PSS + cgroup usage / n) at the largest n both reached"
    steps = [e for e in scale_events if isinstance(e, ScaleStep)]
    runs = _runs(steps)
    by_runtime: dict[str, dict[int, float]] = {}
    for step in steps:
        by_runtime.setdefault(step.runtime, {})[step.instances] = step.instances_per_gib
    docker = by_runtime.get("docker", {})
    wasm = {name: figures for name, figures in by_runtime.items()
            if runtime_kind(name) == "wasm"}
    if not docker or not wasm:
        missing = "docker" if not docker else "a WebAssembly runtime"
        return Verdict("f", claim, NOT_MEASURED, "–", compares, "warm",
                       why=f"no faasbench scale steps of {missing} in these results", runs=runs)
    parts, ratios = [], []
    for name, figures in wasm.items():
        common = set(figures) & set(docker)
        if not common:
            continue
        n = max(common)
        ratio = figures[n] / docker[n]
        ratios.append(ratio)
        parts.append(f"{name} {figures[n]:.0f}/GiB vs docker {docker[n]:.0f}/GiB at n={n} "
                     f"({ratio:.2f}×)")
    if not ratios:
        return Verdict("f", claim, NOT_MEASURED, "–", compares, "warm",
                       why="no step size reached by both docker and a WebAssembly runtime",
                       runs=runs)
    if all(r > 1 + DENSITY_MARGIN for r in ratios):
        verdict, why = HOLDS, "every WebAssembly runtime fits more instances per GiB"
    elif all(r < 1 - DENSITY_MARGIN for r in ratios):
        verdict, why = FAILS, "every WebAssembly runtime fits fewer instances per GiB"
    else:
        verdict = UNCLEAR
        why = (f"the runtimes disagree or differ from docker by less than "
               f"{DENSITY_MARGIN:.0%}")
    return Verdict("f", claim, verdict, "; ".join(parts), compares, "warm",
                   why=why + " (one reading per step: no interval)", runs=runs)


def billing_claim(events: Sequence[Event], model: PriceModel) -> Verdict:
    """(g): of a nop invocation's GB-seconds duration charge, the share for time not used
    (rounding up and the minimum duration), with its interval over invocations; beside it the
    cost per million under CPU-time and fuel billing, which charge only what was used. Judged
    on warm requests (what a running function serves) when the run has them."""
    claim = ("most of a nop invocation's GB-seconds charge pays for time not used, which a fuel "
             "or CPU-time charge would not bill")
    compares = "unused share of the GB-seconds duration charge; cost per million three ways"
    nop = [s for s in measured(events) if s.benchmark == "nop"]
    if any(s.mode == "warm" for s in nop):  # the request a running function serves
        nop = [s for s in nop if s.mode == "warm"]
    runs = _runs(events)
    if not nop:
        return Verdict("g", claim, NOT_MEASURED, "–", compares, "any",
                       why="no verified, measured nop samples in these results", runs=runs)
    plan = model.gb_seconds
    shares = [1 - (s.wall_ns / 1e6) / billed_ms(s.wall_ns / 1e6, plan) for s in nop]
    interval: Optional[list[float]] = list(mean_interval(shares))
    assert interval is not None
    modes = sorted({s.mode for s in nop})
    parts = []
    costs = cost_rows(nop, model)
    for row in costs:
        other = " ".join(f"{name} ${value:.3g}" for name, value in (
            ("CPU", row.cpu_per_million), ("fuel", row.fuel_per_million)) if value is not None)
        parts.append(f"{row.runtime} {row.mode}: {fmt_ns(row.used_ms * 1e6)} used of "
                     f"{row.billed_ms:g} ms billed ({row.unused_share:.0%} unused); per million "
                     f"GB-s ${row.gb_seconds_per_million:.3g}" + (f", {other}" if other else ""))
    charged = any(s.cpu_ns is not None or s.fuel is not None for s in nop)
    if not charged:
        verdict, why = NOT_MEASURED, "no CPU time or fuel recorded to bill against"
    elif interval[0] > 0.5:
        verdict, why = HOLDS, "the interval of the unused share lies above one half"
    elif interval[1] < 0.5:
        verdict, why = FAILS, "the interval of the unused share lies below one half"
    else:
        verdict, why = UNCLEAR, "the interval of the unused share spans one half"
    return Verdict("g", claim, verdict, "; ".join(parts), compares, ",".join(modes), interval,
                   why + f" (mean over {len(nop)} invocations, 95% bootstrap interval); "
                   + _cheaper(costs), runs)


def _cheaper(costs: Sequence[CostRow]) -> str:
    """Whether billing only what was used is also cheaper at these price lists: their fees
    per request or call can outweigh the unused time."""
    said = []
    for name, figure in (("CPU-time", "cpu_per_million"), ("fuel", "fuel_per_million")):
        priced = [c for c in costs if getattr(c, figure) is not None]
        if priced:
            cheaper = sum(getattr(c, figure) < c.gb_seconds_per_million for c in priced)
            said.append(f"{name} billing is cheaper per million calls for {cheaper} of "
                        f"{len(priced)}")
    return ", ".join(said) + " (fees per request or call dominate a nop's bill)"
