"""``faasbench run``: progress while it runs, a table per benchmark at the end.

The first Ctrl-C cancels cleanly (measured samples are kept and the results file is closed
with a RunFinished line); a second one aborts at once.
"""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..events import (
    ArtifactBuilt,
    CellFinished,
    CellStarted,
    Event,
    RunError,
    RunFinished,
    SampleRecorded,
)
from ..plan import make_plan, parse_sizes
from ..results import ResultsWriter, default_path
from ..runner import Run
from ..stats import ratio
from ..units import fmt_ns

EXIT_CANCELLED = 130


def _install_interrupt(run: Run, console: Console) -> None:
    def handler(signum: int, frame: Any) -> None:
        console.print("[yellow]cancelling: keeping what was measured "
                      "(Ctrl-C again to abort)[/]")
        signal.signal(signal.SIGINT, signal.default_int_handler)
        run.cancel()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGUSR1, lambda signum, frame: run.cancel_cell())


def run_command(args: argparse.Namespace) -> int:
    sizes = parse_sizes(args.size, args.benchmarks)
    plan = make_plan(args.runtimes, args.benchmarks, preset=args.preset,
                     iterations=args.iterations, modes=args.mode, sizes=sizes,
                     warmup=args.warmup, opt_level=args.opt, native_cpu=args.native_cpu,
                     fuel=args.fuel, timeout_s=args.timeout, docker_base=args.docker_base,
                     container_memory_bytes=args.container_memory, pids_limit=args.pids_limit)
    run = Run(plan)
    path = Path(args.out) if args.out else default_path(run.run_id)
    writer = ResultsWriter(path)
    console = Console(stderr=True)
    _install_interrupt(run, console)
    finished: list[CellFinished] = []
    failed = 0
    try:
        if args.json:
            for event in run.events():
                writer.write(event)
                print(event.to_json(), flush=True)
                failed += _count_failed(event)
        else:
            failed = _run_with_progress(run, writer, console, finished)
    finally:
        writer.close()
    if not args.json:
        for table in summary_tables(finished):
            Console().print(table)
    console.print(f"results: {path}")
    if run.cancelled:
        return EXIT_CANCELLED
    return 1 if failed else 0


def _count_failed(event: Event) -> int:
    return int(isinstance(event, SampleRecorded) and not event.ok)


def _run_with_progress(run: Run, writer: ResultsWriter, console: Console,
                       finished: list[CellFinished]) -> int:
    failed = 0
    total = sum(c.warmup + c.iterations for c in run.plan.cells)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("preparing", total=total)
        for event in run.events():
            writer.write(event)
            failed += _count_failed(event)
            if isinstance(event, ArtifactBuilt) and not event.cached:
                progress.update(task, description=f"built {event.benchmark} ({event.target}) "
                                                  f"{event.index}/{event.total}")
            elif isinstance(event, ArtifactBuilt) and event.index == 1:
                progress.update(task, description="building artifacts")
            elif isinstance(event, CellStarted):
                progress.update(task, description=event.cell_id)
            elif isinstance(event, SampleRecorded):
                progress.advance(task)
                if not event.ok:
                    console.print(f"[red]{event.cell_id} #{event.iteration} failed:[/] "
                                  f"{event.error}")
            elif isinstance(event, CellFinished):
                finished.append(event)
                s = event.summary
                console.print(f"{event.cell_id}: median {fmt_ns(s['median'])}, "
                              f"{s['ok']} ok, {s['failed']} failed"
                              + (" (cancelled)" if event.cancelled else ""))
            elif isinstance(event, RunError):
                console.print(f"[yellow]{event.message}[/]")
            elif isinstance(event, RunFinished):
                progress.update(task, description="done" if not event.cancelled else "cancelled")
    return failed


def summary_tables(finished: list[CellFinished]) -> list[Table]:
    """Per benchmark: runtime, mode, median, mean ± sd, ratio to native (same mode), ok/failed."""
    tables = []
    for bench in dict.fromkeys(c.benchmark for c in finished):
        cells = [c for c in finished if c.benchmark == bench]
        table = Table(title=f"{bench} (size {cells[0].size})")
        for column in ("runtime", "mode", "median", "mean ± sd", "× native", "ok", "failed"):
            table.add_column(column, justify="right" if column != "runtime" else "left")
        native = {c.mode: c.summary["median"] for c in cells if c.runtime == "native"}
        for c in cells:
            s = c.summary
            spread = (f"{fmt_ns(s['mean'])} ± {fmt_ns(s['sd'])}" if s["mean"] is not None
                      else "–")
            r = ratio(s["median"], native.get(c.mode))
            table.add_row(c.runtime, c.mode, fmt_ns(s["median"]), spread,
                          f"{r:.2f}" if r is not None else "–", str(s["ok"]),
                          f"[red]{s['failed']}[/]" if s["failed"] else "0")
        tables.append(table)
    return tables


