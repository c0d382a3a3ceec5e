"""``faasbench watch`` (the dashboard's live view, or plain lines, on a growing results file)
and ``faasbench serve`` (the dashboard in a web browser, through textual-serve)."""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys

from rich.console import Console

from ..events import CellFinished, RunError, RunFinished
from ..remote.watch import parse_target, watch
from . import remote_options
from .interrupts import install_interrupt
from .run_lines import cell_line

LOOPBACK_WARNING = ("faasbench serve: listening on {bind}, not only on this machine: anyone "
                    "who can reach it gets the dashboard, which starts runs here")


def watch_command(args: argparse.Namespace) -> int:
    parse_target(args.target)  # a typo is a one-line error before anything opens
    options = remote_options(args)
    if not args.plain:
        from tui.app import Config, make_app  # lazy: the engine never imports Textual

        make_app(Config(watch=args.target, watch_options=options)).run()
        return 0
    fanout = watch(args.target, options)
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


def serve_command(args: argparse.Namespace) -> int:
    from textual_serve.server import Server

    if not _is_loopback(args.bind):
        print(LOOPBACK_WARNING.format(bind=args.bind), file=sys.stderr)
    command = shlex.join([sys.executable, "-m", "engine", "tui"])
    Server(command, host=args.bind, port=args.port, title="faasbench").serve()
    return 0


def _is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
