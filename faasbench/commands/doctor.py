"""``faasbench doctor``: the runtime table, or its JSON."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from engine import serial
from engine.doctor import doctor


def doctor_command(args: argparse.Namespace) -> int:
    report = doctor()
    if args.json:
        print(serial.pretty(report))
        return 0
    render_doctor(report, Console(), "faasbench doctor")
    return 0


def render_doctor(report: dict[str, Any], console: Console, title: str) -> None:
    """The runtime table and the toolchain line of a doctor report (here or a host's)."""
    table = Table(title=title)
    for column in ("runtime", "kind", "available", "version", "simd128", "reason / fix"):
        table.add_column(column)
    for row in report["runtimes"]:
        note = "" if row["ok"] else f"{row['reason']} — {row['fix']}"
        if row.get("simd_problem"):
            note = f"no SIMD profiles: {row['simd_problem']}"
        simd = "–" if not row["ok"] or row.get("kind") not in ("wasm",) else \
            "[red]no[/]" if row.get("simd_problem") else "[green]yes[/]"
        table.add_row(row["name"], row.get("kind", "?"),
                      "[green]yes[/]" if row["ok"] else "[red]no[/]", row["version"], simd, note)
    console.print(table)
    tc = report["toolchain"]
    console.print(f"toolchain: zig {tc['version']} ({tc['zig']}), native target "
                  f"{tc['native_target']}" if tc["ok"] else f"toolchain: [red]{tc['reason']}[/]")
