"""``faasbench serve``: the dashboard in a web browser, through textual-serve, each page a
``faasbench tui`` of its own."""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys

LOOPBACK_WARNING = ("faasbench serve: listening on {bind}, not only on this machine: anyone "
                    "who can reach it gets the dashboard, which starts runs here")


def serve_command(args: argparse.Namespace) -> int:
    from textual_serve.server import Server

    if not _is_loopback(args.bind):
        print(LOOPBACK_WARNING.format(bind=args.bind), file=sys.stderr)
    command = shlex.join([sys.executable, "-m", "faasbench", "tui"])
    Server(command, host=args.bind, port=args.port, title="faasbench").serve()
    return 0


def _is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
