"""``faasbench build``: compile everything with progress, then a table of artifacts."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from engine.build import artifacts, toolchain
from engine.report.units import fmt_bytes
from engine.spec import benchmarks
from faasbench.common import build_flags


def build_command(args: argparse.Namespace) -> int:
    flags = build_flags(args)
    console = Console(stderr=True)
    table = Table(title=f"artifacts (zig {toolchain.zig_version()}, -{flags.opt_level}, "
                        f"profile {flags.profile}, native {flags.libc})")
    for column in ("benchmark", "target", "size", "cached", "seconds", "path"):
        table.add_column(column)
    names = list(benchmarks.BENCHMARKS)
    total = len(names) * len(artifacts.TARGETS)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(f"building 1/{total} (the first build compiles zig's libc, "
                                 "about 25 s)", total=total)
        try:
            for ev in artifacts.build_all(names, artifacts.TARGETS, flags):
                progress.update(task, advance=1,
                                description=f"built {ev.benchmark} ({ev.target}); "
                                            f"building {min(ev.index + 1, total)}/{total}")
                table.add_row(ev.benchmark, ev.target, fmt_bytes(ev.size_bytes),
                              "yes" if ev.cached else "no", f"{ev.seconds:.2f}", ev.path)
        except toolchain.ToolchainError as exc:
            console.print(f"[red]faasbench: build failed:[/] {exc}")
            return 1
    Console().print(table)
    return 0
