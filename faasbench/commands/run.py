"""``faasbench run``: progress while it runs, a table per benchmark at the end.

The first Ctrl-C cancels cleanly (measured samples are kept and the results file is closed
with a RunFinished line); a second one aborts at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, Optional

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from engine.errors import EXIT_CANCELLED, EXIT_FAILED, PlanError
from engine.measure.prepare import unavailable_reasons
from engine.measure.run import Run, plan_availabilities
from engine.report import render, tables
from engine.report.estimate import CONFIRM_PRESETS, plan_estimate
from engine.spec.benchmarks import BENCHMARKS, PRESETS
from engine.spec.options import DEFAULT_MODES, DEFAULT_RUNTIMES
from engine.spec.plan import Plan, make_plan, parse_sizes
from engine.store.events import (
    ArtifactBuilt,
    CellFinished,
    CellStarted,
    Event,
    RunError,
    RunFinished,
    SampleRecorded,
)
from engine.store.results import (
    ResultsNotWritten,
    ResultsWriter,
    check_writable,
    default_path,
    results_dir,
    shown_path,
)
from engine.store.run_model import RunModel
from faasbench.common import (
    PLAN_SHAPING,
    build_flags,
    read_input,
    refuse_flags,
    results_stopped,
    run_options,
    terminal_width,
)
from faasbench.interrupts import install_interrupt
from faasbench.run_lines import cell_line, failed_sample_line


def plan_from_args(args: argparse.Namespace) -> Plan:
    """The plan ``--plan`` names, or the one the flags describe (defaults from
    ``engine.spec.options``)."""
    if args.plan is not None:
        refuse_flags(args, PLAN_SHAPING, "--plan already says what to run")
        return Plan.from_json(read_input(args.plan, "plan"))
    chosen = args.benchmarks or list(BENCHMARKS)
    return make_plan(args.runtimes or DEFAULT_RUNTIMES, chosen,
                     preset=args.preset or PRESETS[0], iterations=args.iterations,
                     modes=args.mode or DEFAULT_MODES, sizes=parse_sizes(args.size or [], chosen),
                     warmup=args.warmup,
                     flags=build_flags(args),
                     options=run_options(args))


def confirmed(plan: Plan, yes: bool) -> bool:
    """A long preset asks first, showing the estimate; ``--yes`` or no terminal: no question."""
    if plan.settings.preset not in CONFIRM_PRESETS or yes or not sys.stdin.isatty():
        return True
    print(f"the {plan.settings.preset} preset is long: {len(plan.cells)} cells, "
          f"{plan_estimate(list(plan.cells))}", file=sys.stderr)
    try:
        return input("start it? [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def run_command(args: argparse.Namespace) -> int:
    check_writable(Path(args.out) if args.out else results_dir(), folder=not args.out)
    plan = plan_from_args(args)
    found = plan_availabilities(plan)
    missing = unavailable_reasons(found)
    if missing:  # refused before anything is built or run: the request cannot be met
        raise PlanError("; ".join(missing))
    if not confirmed(plan, args.yes):
        print("not started", file=sys.stderr)
        return EXIT_CANCELLED
    run = Run(plan, found=found)
    path = Path(args.out) if args.out else default_path(run.run_id)
    writer = ResultsWriter(path)
    console = Console(stderr=True)
    install_interrupt(run.cancel, console.print,
                      "cancelling: keeping what was measured (Ctrl-C again to abort)",
                      run.cancel_cell)
    model = RunModel()
    finished: list[CellFinished] = []

    def record(event: Event) -> str:
        line = writer.write(event)
        if not args.json:  # the summary tables need the samples; a stream reader folds its own
            model.apply(event, [])
        if isinstance(event, CellFinished):
            finished.append(event)
        return line

    events = run.events()
    stopped: Optional[ResultsNotWritten] = None
    try:
        if args.json:
            for event in events:
                print(record(event), flush=True)
        else:
            _run_with_progress(run, events, record, console)
    except ResultsNotWritten as exc:
        stopped = exc
    finally:  # a failed write or an abort leaves the run mid-way: closing it tears it down
        events.close()
        writer.close()
    if not args.json:
        sys.stdout.write(render.as_text(tables.side_by_side(model), width=terminal_width()))
    if stopped is not None:
        return results_stopped(stopped, args.json, console)
    console.print(f"results: {shown_path(path)}")
    if run.cancelled:
        return EXIT_CANCELLED
    return EXIT_FAILED if run.tally.failed or any(c.error for c in finished) else 0


def _run_with_progress(run: Run, events: Iterator[Event], record: Callable[[Event], str],
                       console: Console) -> None:
    total = sum(c.warmup + c.iterations for c in run.plan.cells)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                  console=console) as progress:
        task = progress.add_task("preparing", total=total)
        for event in events:
            record(event)
            if isinstance(event, ArtifactBuilt) and not event.cached:
                progress.update(task, description=f"built {event.benchmark} ({event.target}) "
                                                  f"{event.index}/{event.total}")
            elif isinstance(event, ArtifactBuilt) and event.index == 1:
                progress.update(task, description="building artifacts")
            elif isinstance(event, CellStarted):
                progress.update(task, description=event.cell_id)
                if event.note:
                    console.print(Text(f"{event.cell_id}: {event.note}", style="dim"))
            elif isinstance(event, SampleRecorded):
                progress.advance(task)
                if not event.ok:
                    console.print(Text(failed_sample_line(event), style="red"))
            elif isinstance(event, CellFinished) and event.same_as:
                console.print(f"{event.cell_id}: = {event.same_as} ({event.runtime} has no "
                              f"{event.mode} mode of its own)")
            elif isinstance(event, CellFinished):
                console.print(Text(cell_line(event), style="red" if event.error else ""))
            elif isinstance(event, RunError):
                console.print(Text(event.message, style="yellow"))
            elif isinstance(event, RunFinished):
                progress.update(task, description="done" if not event.cancelled else "cancelled")

