"""The study's claims, each re-checked on a recorded run with a verdict.

A verdict rests on a ratio with its 95% bootstrap interval (``stats.ratio_estimate``): it
*holds* when the whole interval is on the claimed side of the threshold, *does not hold* when
the whole interval is on the other side, and is *no clear verdict* when the interval straddles
it. A claim the run cannot judge is *not measured*, with why. Start claims are judged in
``cold`` (the study's definition: CLI runtimes, a fresh process for embedded ones, ``docker
run``) and in ``load`` (a server loads the function), each on the fastest WebAssembly runtime of
that mode, named in the verdict. How each claim is read:

- (a) nop: Docker's median / the fastest WebAssembly runtime's ≥ 10.
- (b) nop: that ratio > 500 (WebAssembly under 1/500 of Docker's time).
- (c) cat-sync: that ratio between 50 and 150.
- (d) each compute benchmark in ``warm`` (start kept out: the instance or container is up):
  Docker's median / the fastest WebAssembly runtime's between 1.1 and 1.5 ("10–50% faster");
  the nop ``cold`` medians are shown beside it, so the reader sees what start adds.
- (e) footprint (exact byte counts, no interval): Docker against the WebAssembly runtime with
  the smallest footprint, "about 10×" read as 5× to 20×, once counting the image alone against
  module + runtime, once counting Docker's engine binaries too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, Optional

from engine.report.billing import PriceModel
from engine.report.economy_claims import billing_claim, density_claim
from engine.report.units import fmt_bytes, fmt_interval, fmt_ns, fmt_ratio
from engine.report.verdicts import Verdict, runtime_kind
from engine.spec.benchmarks import COMPUTE_BENCHMARKS
from engine.stats.ratios import cached_ratio
from engine.stats.summary import RatioEstimate
from engine.store.events import Event
from engine.store.run_model import CellState, RunModel
from engine.terms import FAILS, HOLDS, NOT_MEASURED, UNCLEAR, Mode, VerdictWord

START_MODES: tuple[Mode, ...] = ("cold", "load")


def _cells(model: RunModel, benchmark: str, mode: str) -> list[CellState]:
    return [c for c in model.cells.values()
            if c.benchmark == benchmark and c.mode == mode and c.wall_ns]


def _docker_and_fastest_wasm(model: RunModel, benchmark: str,
                             mode: str) -> tuple[Optional[CellState], Optional[CellState], str]:
    """Docker's cell and the fastest WebAssembly cell, or why one is missing."""
    cells = _cells(model, benchmark, mode)
    docker = next((c for c in cells if c.runtime == "docker"), None)
    wasm = [c for c in cells if runtime_kind(c.runtime) == "wasm"]
    if docker is None:
        return None, None, f"no docker {benchmark} {mode} samples in this run"
    if not wasm:
        return None, None, f"no WebAssembly {benchmark} {mode} samples in this run"
    fastest = min(wasm, key=lambda c: c.quantile(50) or 0)
    return docker, fastest, ""


def _judge(estimate: RatioEstimate, inside: Callable[[float], bool],
           low: float, high: float) -> VerdictWord:
    """holds / does not hold / no clear verdict for a claimed range [low, high] of the ratio."""
    if inside(estimate.low) and inside(estimate.high):
        return HOLDS
    if estimate.high < low or estimate.low > high:
        return FAILS
    return UNCLEAR


def _ratio_verdict(model: RunModel, claim_id: str, claim: str, benchmark: str, mode: str,
                   low: float, high: float = float("inf")) -> Verdict:
    docker, wasm, why = _docker_and_fastest_wasm(model, benchmark, mode)
    if docker is None or wasm is None:
        return Verdict(claim_id, claim, NOT_MEASURED, mode=mode, why=why)
    estimate = cached_ratio(docker.wall_ns, wasm.wall_ns)
    assert estimate is not None  # both cells have samples
    verdict = _judge(estimate, lambda r: low <= r <= high, low, high)
    return Verdict(
        claim_id, claim, verdict, mode=mode,
        figure=f"docker {fmt_ns(docker.quantile(50))} / {wasm.runtime} "
               f"{fmt_ns(wasm.quantile(50))} = {fmt_ratio(estimate.ratio)} "
               f"[{fmt_interval(estimate)}]",
        compares=f"docker vs {wasm.runtime} (fastest WebAssembly, {benchmark}, {mode})",
        interval=[estimate.low, estimate.high], runs=[model.run_id or ""])


def start_claims(model: RunModel) -> list[Verdict]:
    """(a), (b), (c): once in cold, once in load."""
    verdicts = []
    for mode in START_MODES:
        verdicts += [
            _ratio_verdict(model, "a", "WebAssembly cold start at least 10× faster than Docker",
                           "nop", mode, 10),
            _ratio_verdict(model, "b", "the fastest WebAssembly runtime starts in under 1/500 "
                           "of Docker's time", "nop", mode, 500),
            _ratio_verdict(model, "c", "cat-sync: Docker 50–150× slower than the fastest "
                           "WebAssembly runtime", "cat-sync", mode, 50, 150)]
    return verdicts


def compute_claim(model: RunModel) -> Verdict:
    """(d): every compute benchmark in warm, with the start (nop cold) shown apart."""
    claim = "compute benchmarks 10–50% faster on WebAssembly than in Docker"
    benches = [b for b in COMPUTE_BENCHMARKS
               if any(c.benchmark == b for c in model.cells.values())]
    parts = {b: _ratio_verdict(model, "d", claim, b, "warm", 1.1, 1.5) for b in benches}
    judged = {b: p for b, p in parts.items() if p.verdict != NOT_MEASURED}
    if not judged:
        why = "; ".join(p.why for p in parts.values()) or "no compute benchmark in this run"
        return Verdict("d", claim, NOT_MEASURED, mode="warm", why=why)
    verdicts = {p.verdict for p in judged.values()}
    verdict = FAILS if FAILS in verdicts else UNCLEAR if UNCLEAR in verdicts else HOLDS
    starts = {c.runtime: c.quantile(50) for c in _cells(model, "nop", "cold")}
    start = ", ".join(f"{rt} {fmt_ns(ns)}" for rt, ns in starts.items()) or "not measured"
    return Verdict("d", claim, verdict, mode="warm",
                   figure="; ".join(f"{bench}: {p.verdict}, {p.figure}"
                                    for bench, p in judged.items()),
                   compares="warm medians (start kept out); start alone, nop cold: " + start,
                   why="; ".join(p.why for p in parts.values() if p.why),
                   runs=[model.run_id or ""])


def footprint_claim(model: RunModel) -> list[Verdict]:
    """(e): with and without Docker's engine counted, against the lightest WebAssembly runtime."""
    claim = "footprint: the Docker image about 10× the WebAssembly runtime"
    cells = [c for c in model.cells.values() if c.footprint is not None]
    docker = next((c for c in cells if c.runtime == "docker"), None)
    wasm = [c for c in cells if runtime_kind(c.runtime) == "wasm"]
    if docker is None or not wasm:
        why = "no docker cell" if docker is None else "no WebAssembly cell"
        return [Verdict("e", claim, NOT_MEASURED, why=f"{why} with a footprint in this run")]
    lightest = min(wasm, key=lambda c: c.footprint or 0)
    wasm_bytes = lightest.footprint or 0
    verdicts = []
    for counted, docker_bytes in (("image only", docker.artifact_bytes or 0),
                                  ("image + engine binaries", docker.footprint or 0)):
        ratio = docker_bytes / wasm_bytes if wasm_bytes else None
        verdict = (NOT_MEASURED if ratio is None
                   else HOLDS if 5 <= ratio <= 20 else FAILS)
        verdicts.append(Verdict(
            "e", claim, verdict, mode=counted,
            figure=f"docker {fmt_bytes(docker_bytes)} / {lightest.runtime} "
                   f"{fmt_bytes(wasm_bytes)} = {fmt_ratio(ratio)}",
            compares=f"docker ({counted}) vs {lightest.runtime} (module + runtime installed, "
                     f"{lightest.benchmark})", runs=[model.run_id or ""]))
    return verdicts


def claims(model: RunModel, samples: Sequence[Event], scale_events: Sequence[Event],
           prices: PriceModel) -> list[Verdict]:
    """Every claim, in the study's order: (a) to (e) on the run's model, (f) on a scale run's
    events (none: not measured), (g) on the run's samples billed at ``prices``."""
    return sorted([*start_claims(model), compute_claim(model), *footprint_claim(model),
                   density_claim(scale_events), billing_claim(samples, prices)],
                  key=lambda v: v.id)
