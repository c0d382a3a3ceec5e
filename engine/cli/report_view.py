"""``faasbench report RUN``: a recorded run as text, Markdown, CSV or JSON, its claims, and
hyperfine's export layout. Reads the results file; re-runs nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Optional

from .. import analysis
from ..billing import load_price_model
from ..history import list_runs, resolve
from ..options import PlanError
from ..report import claims as claim_checks
from ..report import render, tables
from ..report.chart import ladder_chart
from ..report.claims import Verdict
from ..report.hyperfine import as_hyperfine
from ..report.samples_csv import as_csv
from ..results import fold, open_results, read_results
from ..run_model import RunModel
from ..scale_claims import billing_claim, density_claim
from . import terminal_width
from .cost_view import cost_section

FORMATS = ("text", "md", "csv", "json")


def _ladder_charts(model: RunModel) -> str:
    charts = []
    for bench in analysis.COLD_START_BENCHMARKS:
        ladder = analysis.start_ladder(model, bench)
        if ladder:
            charts.append(ladder_chart(ladder, analysis.runtimes(model),
                                       f"start ladder: {bench} (median, log scale)"))
    return "\n".join(charts)


def _scale_rows(name: Optional[str]) -> list[dict[str, Any]]:
    """The rows of the scale run ``--scale`` names, else of the latest one kept (none: [])."""
    if name is not None:
        return read_results(resolve(name))
    scale = [info for info in list_runs() if "scale" in info.presets]
    return read_results(scale[0].path) if scale else []


def extra_claims(rows: list[dict[str, Any]], args: argparse.Namespace) -> list[Verdict]:
    """(f) density from a scale run, (g) billing from this run's samples."""
    model = load_price_model(Path(args.price_model) if args.price_model else None)
    return [Verdict(**density_claim(_scale_rows(args.scale))),
            Verdict(**billing_claim(rows, model))]


def report_command(args: argparse.Namespace) -> int:
    if Path(args.run).is_dir():
        from .hosts_view import hosts_report

        return hosts_report(Path(args.run), args.format)
    if args.format == "csv" and (args.claims or args.cost):
        raise PlanError("csv is one row per sample; --claims and --cost are tables: use "
                        "--format text, md (or json for the claims)")
    if args.format == "json" and args.cost:
        raise PlanError("--cost is a table: use --format text or md")
    path = resolve(args.run)
    loaded = open_results(path)
    model, warnings = fold(loaded)
    for warning in warnings:
        print(f"faasbench: warning: {warning}", file=sys.stderr)
    rows = loaded.rows
    verdicts = claim_checks.claims(model, extra_claims(rows, args)) if args.claims else []
    if args.export_hyperfine:
        Path(args.export_hyperfine).write_text(as_hyperfine(model))
        print(f"hyperfine layout: {args.export_hyperfine}", file=sys.stderr)
    if args.format == "csv":
        sys.stdout.write(as_csv(model))
        return 0
    if args.format == "json":
        sys.stdout.write(render.as_json(model, verdicts))
        return 0
    sections = [tables.environment(model)]
    if args.claims:
        sections.append(tables.claims_table(verdicts))
    if not (args.claims or args.cost):
        sections = tables.all_tables(model)
    text = (render.as_markdown(sections) if args.format == "md" else
            render.as_text(sections, width=terminal_width(),
                           chart="" if args.claims or args.cost else _ladder_charts(model)))
    sys.stdout.write(text)
    if args.cost:
        cost = cost_section(rows, Path(args.price_model) if args.price_model else None)
        sys.stdout.write(f"```\n{cost}```\n" if args.format == "md" else cost)
    return 0
