"""``faasbench watch --plain``: a growing results file (here or on a host) followed as lines,
one per finished cell; without ``--plain`` the command line opens the dashboard instead."""

from __future__ import annotations

import argparse

from rich.console import Console

from engine.remote.watch import parse_target, watch
from engine.store.events import CellFinished, RunError, RunFinished
from faasbench.common import remote_options
from faasbench.interrupts import install_interrupt
from faasbench.run_lines import cell_line


def watch_command(args: argparse.Namespace) -> int:
    parse_target(args.target)  # a typo is a one-line error before anything opens
    fanout = watch(args.target, remote_options(args))
    install_interrupt(fanout.cancel, Console(stderr=True).print,
                      "detaching: the run goes on there (Ctrl-C again to abort)")
    finished = False
    for _, event in fanout.events():
        if isinstance(event, CellFinished) and not event.same_as:
            print(cell_line(event), flush=True)
        elif isinstance(event, RunError):
            print(f"note: {event.message}", flush=True)
        elif isinstance(event, RunFinished):
            finished = True
            print(f"run finished: {event.ok_samples} ok, {event.failed_samples} failed"
                  + (" (cancelled)" if event.cancelled else ""), flush=True)
    return 0 if finished or fanout.stopping else 1
