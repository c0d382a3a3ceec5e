"""The study's two unmeasured claims, judged from results rows (pure functions).

(f) density: WebAssembly "could offer ... scaling advantages": instances per GiB of each
    WebAssembly runtime against containers per GiB, from ``faasbench scale`` rows.
(g) billing: it "could enable fine-grained, pay-as-you-use business models": the share of a
    nop invocation's GB-seconds charge that pays for time not used, against a fuel or CPU-time
    charge, which bills only what was used; from a run's sample rows.

Each returns ``{"id", "claim", "figure", "compares", "mode", "verdict", "interval", "why",
"runs"}`` with the verdict one of "holds", "does not hold", "not measured", "no clear verdict".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from .billing import CostRow, PriceModel, billed_ms, cost_rows, measured
from .bootstrap import mean_interval
from .units import fmt_ns

WASM_RUNTIMES = ("wasmtime", "wasmer", "node")
DENSITY_MARGIN = 0.10
"""A density difference within 10% is not called: PSS moves by that much between readings."""


def _runs(rows: Sequence[dict[str, Any]]) -> list[str]:
    return sorted({r["run_id"] for r in rows if r.get("run_id")})


def _claim(claim_id: str, claim: str, compares: str, mode: str, verdict: str, figure: str,
           why: str, runs: list[str], interval: Optional[list[float]] = None) -> dict[str, Any]:
    return {"id": claim_id, "claim": claim, "figure": figure, "compares": compares,
            "mode": mode, "verdict": verdict, "interval": interval, "why": why, "runs": runs}


def density_claim(scale_rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """(f): at the largest step docker and a WebAssembly runtime both reached, instances per
    GiB of each WebAssembly runtime against docker's."""
    claim = "WebAssembly instances per GiB exceed containers per GiB"
    compares = "instances per GiB (kernel PSS + cgroup usage / n) at the largest n both reached"
    steps = [r for r in scale_rows if r.get("event") == "scale_step"]
    runs = _runs(steps)
    by_runtime: dict[str, dict[int, float]] = {}
    for step in steps:
        by_runtime.setdefault(step["runtime"], {})[step["instances"]] = step["instances_per_gib"]
    docker = by_runtime.get("docker", {})
    wasm = {name: by_runtime[name] for name in WASM_RUNTIMES if name in by_runtime}
    if not docker or not wasm:
        missing = "docker" if not docker else "a WebAssembly runtime"
        return _claim("f", claim, compares, "warm", "not measured", "–",
                      f"no faasbench scale steps of {missing} in these results", runs)
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
        return _claim("f", claim, compares, "warm", "not measured", "–",
                      "no step size reached by both docker and a WebAssembly runtime", runs)
    if all(r > 1 + DENSITY_MARGIN for r in ratios):
        verdict, why = "holds", "every WebAssembly runtime fits more instances per GiB"
    elif all(r < 1 - DENSITY_MARGIN for r in ratios):
        verdict, why = "does not hold", "every WebAssembly runtime fits fewer instances per GiB"
    else:
        verdict = "no clear verdict"
        why = (f"the runtimes disagree or differ from docker by less than "
               f"{DENSITY_MARGIN:.0%}")
    return _claim("f", claim, compares, "warm", verdict, "; ".join(parts),
                  why + " (one reading per step: no interval)", runs)


def billing_claim(run_rows: Sequence[dict[str, Any]], model: PriceModel) -> dict[str, Any]:
    """(g): of a nop invocation's GB-seconds duration charge, the share for time not used
    (rounding up and the minimum duration), with its interval over invocations; beside it the
    cost per million under CPU-time and fuel billing, which charge only what was used. Judged
    on warm requests (what a running function serves) when the run has them."""
    claim = ("most of a nop invocation's GB-seconds charge pays for time not used, which a fuel "
             "or CPU-time charge would not bill")
    compares = "unused share of the GB-seconds duration charge; cost per million three ways"
    nop = [r for r in measured(run_rows) if r.get("benchmark") == "nop"]
    if any(r.get("mode") == "warm" for r in nop):  # the request a running function serves
        nop = [r for r in nop if r.get("mode") == "warm"]
    runs = _runs(run_rows)
    if not nop:
        return _claim("g", claim, compares, "any", "not measured", "–",
                      "no verified, measured nop samples in these results", runs)
    plan = model.gb_seconds
    shares = [1 - (r["wall_ns"] / 1e6) / billed_ms(r["wall_ns"] / 1e6, plan) for r in nop]
    interval = list(mean_interval(shares))
    modes = sorted({r.get("mode", "") for r in nop})
    parts = []
    costs = cost_rows(nop, model)
    for row in costs:
        other = " ".join(f"{name} ${value:.3g}" for name, value in (
            ("CPU", row.cpu_per_million), ("fuel", row.fuel_per_million)) if value is not None)
        parts.append(f"{row.runtime} {row.mode}: {fmt_ns(row.used_ms * 1e6)} used of "
                     f"{row.billed_ms:g} ms billed ({row.unused_share:.0%} unused); per million "
                     f"GB-s ${row.gb_seconds_per_million:.3g}" + (f", {other}" if other else ""))
    charged = any(r.get("cpu_ns") is not None or r.get("fuel") is not None for r in nop)
    if not charged:
        verdict, why = "not measured", "no CPU time or fuel recorded to bill against"
    elif interval[0] > 0.5:
        verdict, why = "holds", "the interval of the unused share lies above one half"
    elif interval[1] < 0.5:
        verdict, why = "does not hold", "the interval of the unused share lies below one half"
    else:
        verdict, why = "no clear verdict", "the interval of the unused share spans one half"
    return _claim("g", claim, compares, ",".join(modes), verdict, "; ".join(parts),
                  why + f" (mean over {len(nop)} invocations, 95% bootstrap interval); "
                  + _cheaper(costs), runs, interval)


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
