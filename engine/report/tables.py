"""The report's tables as plain data, so every format renders the same figures.

Each builder takes a ``RunModel`` (a results file folded into cells) and returns ``Table``s whose
cells are already formatted strings; the machine-readable figures go out through
``render.as_json``. Ratios come from ``engine.analysis.side_by_side_rows`` (the one rule).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

from engine.report import analysis
from engine.report.units import UNCLEAR, fmt_bytes, fmt_estimate, fmt_ns, fmt_ns_range
from engine.report.verdicts import Verdict
from engine.spec.benchmarks import COMPUTE_BENCHMARKS, START_BENCHMARKS
from engine.store.run_model import CellState, RunModel
from engine.terms import NOT_MEASURED

RATIO_NOTE = (f"ratios: median over the baseline's median in the same mode, with the 95% "
              f"bootstrap interval; {UNCLEAR}: no clear difference (the interval contains 1)")


@dataclass
class Table:
    """A titled grid of strings; ``caption`` says how to read it."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    caption: str = ""


def environment(model: RunModel) -> Table:
    """Where the numbers came from: the run's environment header."""
    env = model.environment
    table = Table(f"run {model.run_id or '?'}", ["", ""])
    for key in ("host", "cpu_model", "cores", "memory_bytes", "os", "kernel", "python",
                "faasbench"):
        value = env.get(key)
        table.rows.append([key, fmt_bytes(value) if key == "memory_bytes" else str(value)])
    table.rows.append(["runtimes", ", ".join(f"{k} {v}" for k, v in
                                             env.get("runtimes", {}).items())])
    table.rows.append(["build", "; ".join(analysis.builds(model)) or "–"])
    table.rows.append(["status", status(model) + (" (no run_finished line)"
                                                  if model.finished is None else "")])
    return table


def status(model: RunModel) -> str:
    """finished, cancelled, or cut off (no closing line: killed, or still running), as
    ``faasbench history`` names them."""
    if model.finished is None:
        return "cut off"
    return "cancelled" if model.finished.cancelled else "finished"


def _runtime_label(cell: CellState) -> str:
    return f"{cell.runtime} ({cell.cold_process})" if cell.cold_process else cell.runtime


def side_by_side(model: RunModel) -> list[Table]:
    """Per benchmark: every runtime per mode, with its statistics and ratios."""
    tables: dict[str, Table] = {}
    for group in analysis.side_by_side_rows(model):
        first = group[0].cell
        build = (f", {'; '.join(analysis.builds(model))}"
                 if first.benchmark in COMPUTE_BENCHMARKS else "")
        table = tables.setdefault(first.benchmark, Table(
            f"{first.benchmark} (size {first.size}{build})",
            ["mode", "runtime", "median [95% CI]", "mean ± sd (cv)", "p5–p95", "outliers",
             "× docker", "× native", "ok", "failed"], caption=RATIO_NOTE))
        for row in group:
            cell, s = row.cell, row.summary
            if cell.same_as:
                table.rows.append([cell.mode, _runtime_label(cell), f"= {cell.same_as}"]
                                  + ["–"] * 7)
                continue
            table.rows.append([
                cell.mode, _runtime_label(cell),
                f"{fmt_ns(s['median'])} [{fmt_ns_range(s['median_low'], s['median_high'])}]"
                if s["n"] else "–",
                f"{fmt_ns(s['mean'])} ± {fmt_ns(s['sd'])} ({s['cv']:.0%})" if s["n"] else "–",
                fmt_ns_range(s["p5"], s["p95"]) if s["n"] else "–",
                str(s["outliers"]) if s["n"] else "–",
                fmt_estimate(row.vs["docker"]), fmt_estimate(row.vs["native"]),
                str(len(cell.wall_ns)), str(cell.failed)])
    return list(tables.values())


def start_ladder(model: RunModel) -> list[Table]:
    """nop and cat-sync: each runtime's median per mode, the way a function can start."""
    tables = []
    for bench in START_BENCHMARKS:
        ladder = analysis.start_ladder(model, bench)
        if not ladder:
            continue
        processes = analysis.cold_processes(model)
        table = Table(f"start ladder: {bench}", ["runtime", *ladder],
                      caption="median per mode; a mode a runtime lacks shows its stand-in")
        for runtime in analysis.runtimes(model):
            if any(runtime in by_rt for by_rt in ladder.values()):
                label = f"{runtime} (cold: {processes[runtime]})" if runtime in processes \
                    else runtime
                table.rows.append([label, *(fmt_ns(by_rt.get(runtime)) for by_rt in
                                            ladder.values())])
        tables.append(table)
    return tables


def _seconds(ns: Optional[float]) -> str:
    return "–" if ns is None else f"{ns / 1e9:.3f}"


def compute(model: RunModel) -> Optional[Table]:
    """The study's Table 1: seconds as mean (sd), then median with its interval."""
    rows = analysis.compute_rows(model)
    if not rows:
        return None
    runtimes = analysis.runtimes(model)
    table = Table(f"compute benchmarks, seconds ({'; '.join(analysis.builds(model))})",
                  ["benchmark", *runtimes],
                  caption="mean (sd) / median [95% CI] (× native); " + RATIO_NOTE)
    for label, by_runtime in rows:
        cells = []
        for runtime in runtimes:
            row = by_runtime.get(runtime)
            s = row.summary if row is not None else None
            if s is None or not s["n"]:
                cells.append("–" if row is None or not row.cell.same_as
                             else f"= {row.cell.same_as}")
                continue
            cells.append(f"{_seconds(s['mean'])} ({_seconds(s['sd'])}) / "
                         f"{_seconds(s['median'])} [{_seconds(s['median_low'])}–"
                         f"{_seconds(s['median_high'])}] "
                         f"({fmt_estimate(row.vs['native'], interval=False)})")
        table.rows.append([label, *cells])
    return table


def phases(model: RunModel) -> Optional[Table]:
    """Median of each phase a runtime reports (compile, instantiate, execute; create, start...)."""
    table = Table("phases (median per iteration)", ["cell", "phases"])
    for cell in model.cells.values():
        medians = analysis.phase_medians(cell)
        if medians:
            table.rows.append([cell.cell_id, ", ".join(f"{name} {fmt_ns(ns)}"
                                                       for name, ns in medians.items())])
    return table if table.rows else None


def harness(model: RunModel) -> Optional[Table]:
    """What the harness added to each cell (``analysis.harness``)."""
    table = Table("harness overhead",
                  ["cell", "samples", "measuring", "in samples", "harness per sample",
                   "measuring ÷ in samples", "measuring ÷ (samples × median)"],
                  caption="measuring: from a cell's first request to the worker's sending of "
                          "its last sample; in samples: the sum of their wall times, warm-ups and "
                          "failures included; the difference is the harness's (clocks, output "
                          "checks, the pipe, a fresh worker after a lost one, whose sample "
                          "records no wall time); over samples × median, the samples' own "
                          "spread (mean over median) adds to it; cancelled cells are left out")
    for cell in model.cells.values():
        figures = analysis.harness(cell)
        if figures is not None:
            table.rows.append([
                cell.cell_id, str(figures.samples), fmt_ns(figures.measuring_ns),
                fmt_ns(figures.in_samples_ns), fmt_ns(figures.per_sample_ns),
                *("–" if ratio is None else f"{ratio:.2f}×"
                  for ratio in (figures.over_samples, figures.over_median))])
    return table if table.rows else None


def memory_and_footprint(model: RunModel) -> Table:
    """Peak RSS per cell and both sides of each footprint."""
    table = Table("memory and footprint",
                  ["cell", "peak RSS (median)", "peak RSS (max)", "function", "runtime installed",
                   "footprint"],
                  caption="footprint = what is deployed per function + what the host must "
                          "install (Docker: the engine's binaries, and a base image if used)")
    for cell in model.cells.values():
        if cell.same_as:
            continue
        rss = [s.peak_rss_bytes for s in cell.samples
               if s.ok and not s.warmup and s.peak_rss_bytes is not None]
        table.rows.append([cell.cell_id,
                           fmt_bytes(statistics.median(rss)) if rss else "–",
                           fmt_bytes(max(rss)) if rss else "–", fmt_bytes(cell.artifact_bytes),
                           fmt_bytes(cell.runtime_bytes), fmt_bytes(cell.footprint)])
    return table


def all_tables(model: RunModel) -> list[Table]:
    """Every section of a report, in reading order."""
    sections = [environment(model), *side_by_side(model), *start_ladder(model),
                compute(model), phases(model), memory_and_footprint(model), harness(model)]
    return [t for t in sections if t is not None]


def claims_table(verdicts: Sequence[Verdict]) -> Table:
    """One row per verdict: what was claimed, in which mode, and what this run says."""
    table = Table("the study's claims, re-checked on this run",
                         ["claim", "mode", "verdict", "figure [95% CI]", "compares / why"],
                         caption="holds / does not hold: the whole interval is on that side of "
                                 "the claimed threshold; no clear verdict: it straddles it")
    for v in verdicts:
        table.rows.append([f"({v.id}) {v.claim}", v.mode, v.verdict, v.figure or "–",
                           v.why if v.verdict == NOT_MEASURED else v.compares])
    return table
