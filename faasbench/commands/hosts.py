"""``faasbench run --host ...`` (several hosts at once, or ``--resume``) and ``doctor --host``.

Each host's progress is its own bar; at the end, each host's tables and the hosts side by side.
The first Ctrl-C asks every host to stop (each keeps what it measured); a second aborts here
(the hosts' runs go on; ``--resume`` fetches them). SIGUSR1 (the dashboard's "cancel cell")
cancels the current cell on every host.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from engine import serial
from engine.errors import EXIT_BAD_INPUT, EXIT_CANCELLED, EXIT_FAILED, BadInput
from engine.remote.fanout import Fanout, RemoteOptions, resume, run_on_hosts
from engine.remote.hosts import parse_host, parse_hosts
from engine.remote.ssh import HostError
from engine.remote.tagging import tagged_json
from engine.store.events import (
    CellFinished,
    CellStarted,
    Event,
    RunError,
    RunFinished,
    RunPlanned,
    SampleRecorded,
    line_prefix,
)
from engine.store.results import check_writable, read_events, results_dir
from faasbench.commands.run import confirmed, plan_from_args
from faasbench.common import PLAN_SHAPING, UsageError, refuse_flags, remote_options, terminal_width
from faasbench.interrupts import install_interrupt
from faasbench.run_lines import cell_line, failed_sample_line

RUN_PLANNED = line_prefix(RunPlanned)
"""How a results file begins once its run has started."""


def hosts_command(args: argparse.Namespace) -> int:
    if args.resume:
        refuse_flags(args, {**PLAN_SHAPING, "plan": "--plan", "host": "--host"},
                     "--resume continues a recorded run")
        try:
            fanout = resume(Path(args.resume), remote_options(args))
        except (OSError, HostError) as exc:
            raise BadInput(str(exc)) from None
    else:
        hosts = parse_hosts(args.host)
        check_writable(Path(args.out) if args.out else results_dir(), folder=True)
        plan = plan_from_args(args)
        if not confirmed(plan, args.yes):
            print("not started", file=sys.stderr)
            return EXIT_CANCELLED
        fanout = run_on_hosts(hosts, plan, remote_options(args),
                              Path(args.out) if args.out else None)
    console = Console(stderr=True, soft_wrap=True)  # a message is one line, whatever the width

    install_interrupt(fanout.cancel, console.print,
                      "cancelling on every host: keeping what was measured (Ctrl-C again to "
                      "stop following)", fanout.cancel_cell)
    try:
        outcome = _follow(fanout, console, args.json)
    except KeyboardInterrupt:
        console.print("[yellow]stopped following; the runs go on: `faasbench watch` follows "
                      "local's file, `faasbench run --resume` fetches a host's[/]")
        outcome = {"ok": False}
    started = {host: _started(path) for host, path in fanout.paths.items()}
    for host, path in fanout.paths.items():
        console.print(f"results ({host}): {path}" if started[host] else
                      f"results ({host}): none (it did not start)")
    if not args.json:
        _summaries(fanout)
    if fanout.stopping:
        return EXIT_CANCELLED
    if not any(started.values()):
        return EXIT_BAD_INPUT  # no host could start the run; each one's reason is above
    return 0 if outcome["ok"] else EXIT_FAILED


def _started(path: Path) -> bool:
    """Whether a host's run began: its file opens with the plan (a host that refused the
    run leaves none)."""
    try:
        with path.open("rb") as results:
            return results.read(len(RUN_PLANNED)) == RUN_PLANNED
    except FileNotFoundError:
        return False


def _follow(fanout: Fanout, console: Console, as_json: bool) -> dict[str, bool]:
    """Hand every event on (JSON lines tagged with their host, or progress); whether all
    went well."""
    outcome = {"ok": True}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, disable=as_json) as progress:
        tasks = {host: progress.add_task(f"{host}: connecting", total=None)
                 for host in fanout.paths}
        for host, event in fanout.events():
            if as_json:
                print(tagged_json(host, event), flush=True)
            outcome["ok"] &= _show(host, event, progress, tasks[host], console)
    return outcome


def _show(host: str, event: Event, progress: Progress, task: Any, console: Console) -> bool:
    """One event on the console; False when it reports a failure."""
    if isinstance(event, RunPlanned):
        cells = event.plan["cells"]
        progress.update(task, total=sum(c["iterations"] + c["warmup"] for c in cells),
                        description=f"{host}: building")
    elif isinstance(event, CellStarted):
        progress.update(task, description=f"{host}: {event.cell_id}")
    elif isinstance(event, SampleRecorded):
        progress.advance(task)
        if not event.ok:
            console.print(Text(failed_sample_line(event, host), style="red"))
            return False
    elif isinstance(event, CellFinished) and not event.same_as:
        console.print(Text(cell_line(event, host), style="red" if event.error else ""))
        return not event.error
    elif isinstance(event, RunError):
        console.print(Text(event.message, style="yellow"))
        return False
    elif isinstance(event, RunFinished):
        progress.update(task, description=f"{host}: "
                                          + ("cancelled" if event.cancelled else "done"))
    return True


def _summaries(fanout: Fanout) -> None:
    """Each host's tables from its results file, then the hosts side by side."""
    from engine.report import render, tables
    from engine.report.hosts import host_sections
    from engine.store.run_model import RunModel

    models = {h: RunModel.from_events(read_events(p), []) for h, p in fanout.paths.items()
              if p.exists()}
    sys.stdout.write(render.as_text(host_sections(models, tables.side_by_side),
                                    width=terminal_width()))


def hosts_report(folder: Path, fmt: str) -> int:
    """``faasbench report FOLDER``: a run on several hosts (``run --host ... --out FOLDER``),
    each host's report tables, then the hosts side by side."""
    from engine.remote.fanout import host_files
    from engine.report import render, tables
    from engine.report.hosts import host_sections
    from engine.store.run_model import RunModel

    if fmt not in ("text", "md"):
        raise UsageError(f"a run on several hosts is reported as text or md; for {fmt}, "
                         f"report each host's file")
    try:
        files = host_files(folder)
    except HostError as exc:
        raise BadInput(str(exc)) from None
    models = {host: RunModel.from_events(read_events(path), [])
              for host, path in files.items()}
    sections = host_sections(models, tables.all_tables)
    sys.stdout.write(render.as_markdown(sections) if fmt == "md"
                     else render.as_text(sections, width=terminal_width()))
    return 0


def doctor_host_command(args: argparse.Namespace) -> int:
    """Reachable? faasbench there and its version, Python, and the host's own doctor."""
    host = parse_host(args.host)
    if host.is_local:
        raise UsageError("--host local is this machine: run `faasbench doctor`")
    try:
        report = asyncio.run(_doctor(host, remote_options(args)))
    except HostError as exc:
        print(f"faasbench: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(serial.pretty(report))
        return 0 if report.get("runtimes") else 1
    console = Console()
    console.print(f"{host.name}: reachable; Python {report['python']}; "
                  + (f"faasbench {report['version']} ({report['faasbench']})"
                     if report["faasbench"] else f"[red]{report['problem']}[/]"))
    if report.get("runtimes") is None:
        return 1
    from faasbench.commands.doctor import render_doctor

    render_doctor(report, console, f"faasbench doctor on {host.name}")
    return 0


async def _doctor(host: Any, options: RemoteOptions) -> dict[str, Any]:
    from engine.remote.ssh import connect, run_argv
    from engine.remote.survey import survey, usable_problem

    conn = await connect(host, options.accept_new_host_key)
    async with conn:
        info = await survey(conn, host.name, options.remote_faasbench)
        report: dict[str, Any] = {"host": host.name, "python": info.python,
                                  "faasbench": info.faasbench, "version": info.version,
                                  "problem": usable_problem(info, host.name)}
        if info.faasbench is not None:
            result = await run_argv(conn, [info.faasbench, "doctor", "--json"], timeout=300)
            if result.exit_status == 0:
                report.update(serial.parse(str(result.stdout)))
            else:
                report["problem"] = f"doctor failed there: {str(result.stderr).strip()[-300:]}"
        return report
