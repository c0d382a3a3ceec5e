"""One CSV row per sample, warm-ups and failures included and marked: for spreadsheets and
any statistics package."""

from __future__ import annotations

import csv
import io

from engine.store.run_model import RunModel

COLUMNS = ("cell_id", "runtime", "benchmark", "size", "mode", "iteration", "warmup", "ok",
           "wall_ns", "cpu_ns", "peak_rss_bytes", "fuel", "exit_code", "error", "phases")


def as_csv(model: RunModel) -> str:
    """Phases go in one column as ``name=ns;name=ns`` (their names differ per runtime)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for cell in model.cells.values():
        for s in cell.samples:
            writer.writerow([s.cell_id, s.runtime, s.benchmark, s.size, s.mode, s.iteration,
                             s.warmup, s.ok, s.wall_ns, s.cpu_ns, s.peak_rss_bytes, s.fuel,
                             s.exit_code, s.error or "",
                             ";".join(f"{k}={v}" for k, v in s.phases_ns.items())])
    return out.getvalue()
