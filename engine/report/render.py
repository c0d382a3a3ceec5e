"""The report's tables as text (rich, for a terminal), Markdown, or JSON.

Text and Markdown show the same ``tables.Table``s; JSON carries the figures as numbers (each
cell's summary, its ratios with their intervals, and the claims) for scripts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Optional

from engine import serial
from engine.report import analysis
from engine.report.claims import Verdict
from engine.report.tables import Table, status
from engine.store.run_model import RunModel


def to_rich(table: Table) -> Any:
    """A ``rich.table.Table`` (the terminal report and the dashboard show the same)."""
    from rich.table import Table as RichTable

    rich = RichTable(title=table.title, caption=table.caption or None,
                     show_header=any(table.columns), expand=False)
    for column in table.columns:
        rich.add_column(column)
    for row in table.rows:
        rich.add_row(*row)
    return rich


def as_text(tables: Sequence[Table], width: int = 140, chart: str = "") -> str:
    """Rich tables rendered to plain text (no colour codes: files and pipes read it)."""
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, highlight=False)
    for table in tables:
        console.print(to_rich(table))
    if chart:
        console.out(chart, highlight=False)
    return out.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_markdown(tables: Sequence[Table]) -> str:
    """GitHub-flavoured pipe tables, one section per table."""
    parts = []
    for table in tables:
        columns = [c or " " for c in table.columns]
        lines = [f"## {table.title}", "", "| " + " | ".join(map(_md_cell, columns)) + " |",
                 "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in table.rows]
        if table.caption:
            lines += ["", f"*{_md_cell(table.caption)}*"]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _estimate(estimate: Any) -> Optional[dict[str, Any]]:
    if estimate is None:
        return None
    return {"ratio": estimate.ratio, "low": estimate.low, "high": estimate.high,
            "clear": estimate.clear}


def as_json(model: RunModel, verdicts: Sequence[Verdict] = ()) -> str:
    """Run, environment, every cell's summary and ratios, phases, footprint, harness, claims."""
    cells = []
    for group in analysis.side_by_side_rows(model):
        for row in group:
            cell, harness = row.cell, analysis.harness(row.cell)
            cells.append({
                "cell_id": cell.cell_id, "runtime": cell.runtime, "benchmark": cell.benchmark,
                "size": cell.size, "mode": cell.mode, "cold_process": cell.cold_process,
                "host": cell.host,
                "same_as": cell.same_as, "status": cell.status, "failed": cell.failed,
                "summary": row.summary,
                "vs": {base: _estimate(e) for base, e in row.vs.items()},
                "phases_median_ns": analysis.phase_medians(cell),
                "artifact_bytes": cell.artifact_bytes, "runtime_bytes": cell.runtime_bytes,
                "footprint_bytes": cell.footprint,
                "harness": None if harness is None else asdict(harness)})
    document = {"run_id": model.run_id, "environment": model.environment,
                "status": status(model),
                "cells": cells, "claims": [v.to_dict() for v in verdicts]}
    return serial.pretty(document) + "\n"
