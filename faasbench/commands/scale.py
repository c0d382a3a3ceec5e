"""``faasbench scale``: progress while it runs, then the density and burst tables.

The first Ctrl-C stops the step-up or burst and tears everything down (what was measured is
kept and the results file ends with ScaleFinished); a second one aborts at once, and the
teardown still runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

from rich.console import Console
from rich.text import Text

from engine.errors import EXIT_CANCELLED, EXIT_FAILED
from engine.report import scale_tables
from engine.report.render import to_rich
from engine.report.units import fmt_bytes
from engine.scale.scale_run import ScaleRun
from engine.spec.scale_spec import SCALE_RUNTIMES, ScaleSpec
from engine.store.events import (
    BurstFinished,
    BurstProgress,
    Event,
    RunError,
    ScaleFinished,
    ScaleLimit,
    ScaleStep,
)
from engine.store.results import (
    ResultsNotWritten,
    ResultsWriter,
    check_writable,
    default_path,
    results_dir,
    shown_path,
)
from faasbench.common import (
    SCALE_SHAPING,
    build_flags,
    read_input,
    refuse_flags,
    results_stopped,
    run_options,
)
from faasbench.interrupts import install_interrupt

TABLE_WIDTH = 120


def spec_from_args(args: argparse.Namespace) -> ScaleSpec:
    """The spec ``--spec`` gives (JSON, as the results' scale_planned line holds it; ``-``
    reads stdin), or the one the flags describe (``ScaleSpec``'s defaults for the rest);
    ``ScaleRun`` checks it."""
    if args.spec is not None:
        refuse_flags(args, SCALE_SHAPING, "--spec already says what to bring up")
        return ScaleSpec.from_json(read_input(args.spec, "scale spec"))
    given = {name: getattr(args, name) for name in ("benchmark", "size", "instances",
                                                     "requests", "concurrency")
             if getattr(args, name) is not None}
    return ScaleSpec(runtimes=list(SCALE_RUNTIMES) if args.runtimes is None else args.runtimes,
                     memory_budget_bytes=args.memory_budget, options=run_options(args),
                     flags=build_flags(args), **given)


def scale_command(args: argparse.Namespace) -> int:
    check_writable(Path(args.out) if args.out else results_dir(), folder=not args.out)
    scale = ScaleRun(spec_from_args(args))
    path = Path(args.out) if args.out else default_path(scale.run_id)
    writer = ResultsWriter(path)
    console = Console(stderr=True)
    install_interrupt(scale.cancel, console.print,
                      "stopping: tearing everything down (Ctrl-C again to abort)")
    seen: list[Event] = []
    events = scale.events()
    stopped: Optional[ResultsNotWritten] = None
    try:
        for event in events:
            line = writer.write(event)
            seen.append(event)
            if args.json:
                print(line, flush=True)
            else:
                _progress(event, console)
    except ResultsNotWritten as exc:
        stopped = exc
    finally:  # a failed write or an abort leaves it mid-way: closing it runs its teardown, once
        events.close()
        writer.close()
    if not args.json:
        out = Console()
        if not out.is_terminal:
            out = Console(width=TABLE_WIDTH)  # a file or pipe: wide enough not to wrap figures
        for table in (scale_tables.density_table(seen), scale_tables.burst_table(seen)):
            if table.rows:
                out.print(to_rich(table))
    if stopped is not None:
        return results_stopped(stopped, args.json, console)
    console.print(f"results: {shown_path(path)}")
    if scale.cancelled:
        return EXIT_CANCELLED
    failed = any(isinstance(e, RunError) or (isinstance(e, BurstFinished) and e.failed)
                 for e in seen)
    return EXIT_FAILED if failed else 0


def _progress(event: Event, console: Console) -> None:
    if isinstance(event, ScaleStep):
        console.print(f"{event.runtime}: {event.instances} up in {event.ready_s:.2f} s, "
                      f"{fmt_bytes(event.memory_bytes)} "
                      f"({fmt_bytes(event.per_instance_bytes)} per instance)")
    elif isinstance(event, ScaleLimit):
        console.print(Text(f"{event.runtime}: stopped at {event.reached} instances: "
                           f"{event.reason}", style="yellow"))
    elif isinstance(event, BurstProgress) and console.is_terminal:
        console.print(Text(f"{event.runtime}: burst {event.done}/{event.total}", style="dim"),
                      end="\r")
    elif isinstance(event, BurstFinished):
        console.print(f"{event.runtime}: burst of {event.requests}: {event.ok} ok, "
                      f"{event.failed} failed, {event.throughput_rps:.0f}/s")
    elif isinstance(event, RunError):
        console.print(Text(event.message, style="yellow"))
    elif isinstance(event, ScaleFinished) and event.cancelled:
        console.print("[yellow]cancelled; everything started was torn down[/]")
