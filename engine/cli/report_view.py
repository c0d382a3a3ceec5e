"""``faasbench report RUN``: a recorded run as text, Markdown, CSV or JSON, its claims, and
hyperfine's export layout. Reads the results file; re-runs nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import analysis
from ..history import resolve
from ..report import claims as claim_checks
from ..report import render, tables
from ..report.chart import ladder_chart
from ..report.hyperfine import as_hyperfine
from ..report.samples_csv import as_csv
from ..results import load_model
from ..run_model import RunModel
from . import terminal_width

FORMATS = ("text", "md", "csv", "json")


def _ladder_charts(model: RunModel) -> str:
    charts = []
    for bench in analysis.COLD_START_BENCHMARKS:
        ladder = analysis.start_ladder(model, bench)
        if ladder:
            charts.append(ladder_chart(ladder, analysis.runtimes(model),
                                       f"start ladder: {bench} (median, log scale)"))
    return "\n".join(charts)


def report_command(args: argparse.Namespace) -> int:
    model, warnings = load_model(resolve(args.run))
    for warning in warnings:
        print(f"faasbench: warning: {warning}", file=sys.stderr)
    verdicts = claim_checks.claims(model) if args.claims else []
    if args.export_hyperfine:
        Path(args.export_hyperfine).write_text(as_hyperfine(model))
        print(f"hyperfine layout: {args.export_hyperfine}", file=sys.stderr)
    if args.format == "csv":
        sys.stdout.write(as_csv(model))
        return 0
    if args.format == "json":
        sys.stdout.write(render.as_json(model, verdicts))
        return 0
    sections = (tables.all_tables(model) if not args.claims
                else [tables.environment(model), tables.claims_table(verdicts)])
    if args.format == "md":
        sys.stdout.write(render.as_markdown(sections))
    else:
        sys.stdout.write(render.as_text(sections, width=terminal_width(), chart="" if args.claims
                                        else _ladder_charts(model)))
    return 0
