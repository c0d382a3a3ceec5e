"""``faasbench scale``: progress while it runs, then the density and burst tables.

The first Ctrl-C stops the step-up or burst and tears everything down (what was measured is
kept and the results file ends with ScaleFinished); a second one aborts at once, and the
teardown still runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..events import (
    BurstFinished,
    BurstProgress,
    Event,
    RunError,
    ScaleFinished,
    ScaleLimit,
    ScaleStep,
)
from ..results import ResultsWriter, default_path, shown_path
from ..scale import Scale
from ..scale_spec import ScaleSpec
from ..units import fmt_bytes, fmt_ns
from . import EXIT_CANCELLED, build_flags, run_options
from .interrupts import install_interrupt

TABLE_WIDTH = 120


def spec_from_args(args: argparse.Namespace) -> ScaleSpec:
    return ScaleSpec(runtimes=args.runtimes, benchmark=args.benchmark, size=args.size,
                     instances=args.instances, requests=args.requests,
                     concurrency=args.concurrency, memory_budget_bytes=args.memory_budget,
                     options=run_options(args), flags=build_flags(args))


def scale_command(args: argparse.Namespace) -> int:
    scale = Scale(spec_from_args(args))
    path = Path(args.out) if args.out else default_path(scale.run_id)
    writer = ResultsWriter(path)
    console = Console(stderr=True)
    install_interrupt(scale.cancel, console.print,
                      "stopping: tearing everything down (Ctrl-C again to abort)")
    seen: list[Event] = []
    events = scale.events()
    try:
        for event in events:
            line = writer.write(event)
            seen.append(event)
            if args.json:
                print(line, flush=True)
            else:
                _progress(event, console)
    finally:  # an abort leaves the generator mid-way: closing it runs its teardown, once
        events.close()
        writer.close()
    if not args.json:
        out = Console()
        if not out.is_terminal:
            out = Console(width=TABLE_WIDTH)  # a file or pipe: wide enough not to wrap figures
        for table in (density_table(seen), burst_table(seen)):
            if table.row_count:
                out.print(table)
    console.print(f"results: {shown_path(path)}")
    if scale.cancelled:
        return EXIT_CANCELLED
    failed = any(isinstance(e, RunError) or (isinstance(e, BurstFinished) and e.failed)
                 for e in seen)
    return 1 if failed else 0


def _progress(event: Event, console: Console) -> None:
    if isinstance(event, ScaleStep):
        console.print(f"{event.runtime}: {event.instances} up in {event.ready_s:.2f} s, "
                      f"{fmt_bytes(event.memory_bytes)} "
                      f"({fmt_bytes(event.per_instance_bytes)} per instance)")
    elif isinstance(event, ScaleLimit):
        console.print(f"[yellow]{event.runtime}: stopped at {event.reached} instances: "
                      f"{event.reason}[/]")
    elif isinstance(event, BurstProgress) and console.is_terminal:
        console.print(f"[dim]{event.runtime}: burst {event.done}/{event.total}[/]", end="\r")
    elif isinstance(event, BurstFinished):
        console.print(f"{event.runtime}: burst of {event.requests}: {event.ok} ok, "
                      f"{event.failed} failed, {event.throughput_rps:.0f}/s")
    elif isinstance(event, RunError):
        console.print(f"[yellow]{event.message}[/]")
    elif isinstance(event, ScaleFinished) and event.cancelled:
        console.print("[yellow]cancelled; everything started was torn down[/]")


def density_table(events: Sequence[Event]) -> Table:
    """Per runtime and step: ready time, memory in all and per instance (and the slope since
    the previous step), instances per GiB; Docker's engine growth beside, not in, the figure."""
    table = Table(title="density: n warm instances up at once; memory from the kernel (PSS "
                        "of the processes + the containers' cgroups); engine+ = dockerd and "
                        "containerd's growth, not counted")
    for column in ("runtime", "n", "ready", "memory", "/instance", "marginal", "n/GiB",
                   "engine+"):
        table.add_column(column, justify="left" if column == "runtime" else "right")
    for e in events:
        if isinstance(e, ScaleStep):
            table.add_row(e.runtime, str(e.instances), f"{e.ready_s:.3g} s",
                          fmt_bytes(e.memory_bytes), fmt_bytes(e.per_instance_bytes),
                          fmt_bytes(e.marginal_bytes), f"{e.instances_per_gib:.0f}",
                          fmt_bytes(e.daemon_delta_bytes))
        elif isinstance(e, ScaleLimit):
            table.add_row(e.runtime, f"stop {e.stopped_before or ''}", "", "", "", "", "",
                          e.reason)
    return table


def burst_table(events: Sequence[Event]) -> Table:
    """Per runtime: the burst's throughput, latency percentiles and failures (with why)."""
    table = Table(title="burst: every response verified; latency of verified responses")
    for column in ("runtime", "n", "R", "C", "req/s", "p50", "p95", "p99", "ok", "failed"):
        table.add_column(column, justify="left" if column == "runtime" else "right",
                         no_wrap=True)
    reasons = []
    for e in events:
        if isinstance(e, BurstFinished):
            table.add_row(e.runtime, str(e.instances), str(e.requests), str(e.concurrency),
                          f"{e.throughput_rps:.0f}", fmt_ns(e.p50_ns), fmt_ns(e.p95_ns),
                          fmt_ns(e.p99_ns), str(e.ok), str(e.failed))
            reasons += [f"{e.runtime}: {why} (×{n})" for why, n in e.errors.items()]
    table.caption = ("R requests from C concurrent clients over n instances; latency is the "
                     "client's, from request to verified answer. Embedded runtimes serve every "
                     "request through one host process (JSON over a pipe, a thread per request),"
                     " so at nop their figures are mostly that path's; Docker's go to each "
                     "container's launcher directly") + "".join(f"\n{reason}" for reason in reasons)
    return table
