"""``faasbench report RUN``: a recorded run as text, Markdown, CSV or JSON, its claims, and
hyperfine's export layout. Reads the results file; re-runs nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.report import analysis, render, tables
from engine.report.billing import load_price_model
from engine.report.chart import ladder_chart
from engine.report.claims import claims
from engine.report.cost_table import cost_section
from engine.report.hyperfine import as_hyperfine
from engine.report.samples_csv import as_csv
from engine.spec.benchmarks import START_BENCHMARKS
from engine.store.history import resolve, scale_run_events
from engine.store.results import fold, open_results
from engine.store.run_model import RunModel
from faasbench.common import UsageError, terminal_width


def _ladder_charts(model: RunModel) -> str:
    charts = []
    for bench in START_BENCHMARKS:
        ladder = analysis.start_ladder(model, bench)
        if ladder:
            charts.append(ladder_chart(ladder, analysis.runtimes(model),
                                       f"start ladder: {bench} (median, log scale)"))
    return "\n".join(charts)


def report_command(args: argparse.Namespace) -> int:
    if Path(args.run).is_dir():
        from faasbench.commands.hosts import hosts_report

        return hosts_report(Path(args.run), args.format)
    if args.format == "csv" and (args.claims or args.cost):
        raise UsageError("csv is one row per sample; --claims and --cost are tables: use "
                         "--format text, md (or json for the claims)")
    if args.format == "json" and args.cost:
        raise UsageError("--cost is a table: use --format text or md")
    path = resolve(args.run)
    loaded = open_results(path)
    model, warnings = fold(loaded)
    for warning in warnings:
        print(f"faasbench: warning: {warning}", file=sys.stderr)
    prices = Path(args.price_model) if args.price_model else None
    verdicts = claims(model, loaded.events, scale_run_events(args.scale),
                      load_price_model(prices)) if args.claims else []
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
    if args.cost:
        cost = cost_section(loaded.events, prices)
        sections.append(cost or tables.Table("cost: no verified, measured samples in this run",
                                             []))
    if not (args.claims or args.cost):
        sections = tables.all_tables(model)
    text = (render.as_markdown(sections) if args.format == "md" else
            render.as_text(sections, width=terminal_width(),
                           chart="" if args.claims or args.cost else _ladder_charts(model)))
    sys.stdout.write(text)
    return 0
