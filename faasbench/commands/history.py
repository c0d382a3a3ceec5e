"""``faasbench history`` and ``faasbench compare``: kept runs, and the change between two."""

from __future__ import annotations

import argparse
import sys

from rich import box
from rich.console import Console
from rich.table import Table

from engine import serial
from engine.report.compare_runs import CHANGE_COLUMNS, change_row, compare_runs
from engine.store.history import COLUMNS, list_runs, resolve, run_id_of, table_row
from engine.store.results import load_model, results_dir
from faasbench.common import terminal_width


def warn(text: str) -> None:
    print(f"faasbench: warning: {text}", file=sys.stderr)


def compact_table(title: str) -> Table:
    """No outer frame: these tables have many columns and must stay readable at 80."""
    return Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                 padding=(0, 1, 0, 0))


def history_command(args: argparse.Namespace) -> int:
    infos = list_runs()
    for info in infos:
        if info.warning:
            warn(info.warning)
    if args.json:
        print(serial.pretty([info.to_dict() for info in infos]))
        return 0
    if not infos:
        print(f"no runs kept in {results_dir()} yet; `faasbench run` records one")
        return 0
    table = compact_table(f"runs kept in {results_dir()}, newest first")
    for column in COLUMNS:
        table.add_column(column, justify="right" if column in ("ok", "failed") else "left",
                         no_wrap=column in ("id", "started", "ok", "failed"),
                         overflow="fold", ratio=1 if column == COLUMNS[3] else None)
    for info in infos:
        table.add_row(*table_row(info))
    Console(width=terminal_width()).print(table)
    return 0


def compare_command(args: argparse.Namespace) -> int:
    path_a, path_b = resolve(args.run_a), resolve(args.run_b)
    (model_a, warnings_a), (model_b, warnings_b) = load_model(path_a), load_model(path_b)
    for warning in warnings_a + warnings_b:
        warn(warning)
    result = compare_runs(model_a, model_b)
    id_a, id_b = run_id_of(path_a), run_id_of(path_b)
    console = Console(width=terminal_width())
    if result.both:
        table = compact_table(result.headline(id_a, id_b))
        for column in CHANGE_COLUMNS:
            table.add_column(column, justify="left" if column in ("cell", "verdict")
                             else "right", no_wrap=column != "verdict")
        for change in result.both:
            table.add_row(*change_row(change))
        console.print(table)
    else:
        console.print(result.headline(id_a, id_b))
    for line in result.only_lines(id_a, id_b):
        console.print(line, highlight=False)
    return 0
