"""What the commands share: the flags turned into the engine's records, flags that cannot go
together, and the width tables wrap at."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.build.toolchain import BuildFlags
from engine.errors import EXIT_FAILED, BadInput
from engine.spec.options import FLAGS, RunOptions

if TYPE_CHECKING:
    from rich.console import Console

    from engine.remote.fanout import RemoteOptions
    from engine.store.results import ResultsNotWritten

PLAN_SHAPING = {**{dest: "--" + dest.replace("_", "-") for dest in (
    "runtimes", "benchmarks", "preset", "iterations", "warmup", "mode", "size", "opt",
    "profile", "native_libc")}, **{f.field: f.flag for f in FLAGS}}
"""What ``--plan`` already says (argument name: flag); giving both is an error rather than a
silent choice."""
SCALE_SHAPING = {**{dest: "--" + dest.replace("_", "-") for dest in (
    "runtimes", "benchmark", "size", "instances", "requests", "concurrency", "memory_budget",
    "opt", "profile", "native_libc")}, **{f.field: f.flag for f in FLAGS}}
"""What ``scale --spec`` already says (argument name: flag)."""


class UsageError(BadInput):
    """Flags that cannot go together; the message names them and what to drop."""


def read_input(source: str, what: str) -> str:
    """The text of a file the user names (``-``: stdin), or UsageError saying why not."""
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text()
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {source}: {exc.strerror}") from None


def terminal_width() -> int:
    """Tables wrap at the terminal's width, and at 140 columns into files and pipes."""
    import shutil

    return max(100, shutil.get_terminal_size((140, 24)).columns)


def run_options(args: argparse.Namespace) -> RunOptions:
    """The RunOptions the flags give, engine.options' defaults for the rest."""
    return RunOptions(**{f.field: getattr(args, f.field) for f in FLAGS
                         if getattr(args, f.field) is not None})


def remote_options(args: argparse.Namespace) -> RemoteOptions:
    """The SSH options the flags give (commands without --install never install)."""
    from engine.remote.fanout import RemoteOptions  # lazy: only the remote commands need SSH

    return RemoteOptions(getattr(args, "install", False), args.accept_new_host_key,
                         args.remote_faasbench)


def refuse_flags(args: argparse.Namespace, flags: dict[str, str], why: str) -> None:
    """UsageError naming the ``flags`` (argument name: flag) that were given, if any: a
    silent choice between them and what ``why`` names would lose what the user asked."""
    given = [flag for name, flag in flags.items() if getattr(args, name, None) is not None]
    if given:
        raise UsageError(f"{why}; drop {', '.join(given)}")


def build_flags(args: argparse.Namespace) -> BuildFlags:
    """The build flags the options name, defaults for the rest."""
    defaults = BuildFlags()
    return BuildFlags(args.opt or defaults.opt_level, args.profile or defaults.profile,
                      args.native_libc or defaults.libc)


def results_stopped(error: ResultsNotWritten, as_json: bool, console: Console) -> int:
    """A run stopped because its results could not be written: one line on stderr, and for a
    JSON stream's reader (the dashboard) a RunError on stdout, which is not that disk."""
    from rich.text import Text

    from engine.store.events import RunError

    if as_json:
        print(RunError(str(error)).to_json(), flush=True)
    console.print(Text(f"faasbench: error: {error}", style="red"), soft_wrap=True)
    return EXIT_FAILED
