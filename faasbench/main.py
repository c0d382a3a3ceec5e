"""``faasbench``: parse the command line and run the command. The composition root: the only
module that knows both the engine and the dashboard (``tui``), which it opens for ``faasbench``,
``faasbench tui`` and ``faasbench watch``; every other command's module is imported when that
command runs, so ``--help`` and a typo answer at once."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Callable, Optional

from engine.errors import EXIT_BAD_INPUT, BadInput
from faasbench.parser import parser

COMMANDS = {
    "doctor": "doctor:doctor_command", "build": "build:build_command",
    "overhead": "overhead:overhead_command", "run": "run:run_command",
    "watch": "watch:watch_command", "serve": "serve:serve_command",
    "scale": "scale:scale_command", "report": "report:report_command",
    "history": "history:history_command", "compare": "history:compare_command",
    "clean": "docker:clean_command", "docker-base": "docker:docker_base_command",
}
"""Each command's function (module in ``faasbench.commands``: name), taking the parsed args."""
ON_HOSTS = {"run": "hosts:hosts_command", "doctor": "hosts:doctor_host_command"}
"""``run --host``/``--resume`` and ``doctor --host``: the same commands, on other hosts."""


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "tui" or (args.command is None and sys.stdout.isatty()) \
                or (args.command == "watch" and not args.plain):
            return _dashboard(args)
        if args.command is None:
            parser().print_help()
            return EXIT_BAD_INPUT
        return _command(args)(args)
    except BadInput as exc:
        print(f"faasbench: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _command(args: argparse.Namespace) -> Callable[[argparse.Namespace], int]:
    """The function that runs the command the args name."""
    on_hosts = args.command in ("run", "doctor") and (getattr(args, "host", None)
                                                       or getattr(args, "resume", None))
    module, _, name = (ON_HOSTS if on_hosts else COMMANDS)[args.command].partition(":")
    return getattr(importlib.import_module(f"faasbench.commands.{module}"), name)


def _dashboard(args: argparse.Namespace) -> int:
    """The dashboard: on setup, or following a run (``watch``)."""
    from tui.app import Config, run_dashboard

    if args.command != "watch":
        return run_dashboard(Config())
    from engine.remote.watch import parse_target
    from faasbench.common import remote_options

    parse_target(args.target)  # a typo is a one-line error before anything opens
    return run_dashboard(Config(watch=args.target, watch_options=remote_options(args)))
