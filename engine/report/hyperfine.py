"""hyperfine's JSON export layout, so scripts written for ``hyperfine --export-json`` read a
faasbench run unchanged.

One entry in ``results`` per cell that has measured ok samples; ``command`` names the cell
(runtime, benchmark, size, mode). Times are seconds over the measured ok samples (warm-ups
and failed samples excluded, as hyperfine excludes warm-ups). faasbench records user and
system CPU time together: ``user`` holds their sum and ``system`` is 0; the ``faasbench`` key
says so for readers who look.
"""

from __future__ import annotations

import statistics

from engine import serial
from engine.stats.summary import summarize
from engine.store.run_model import RunModel

NOTE = ("faasbench records user+system CPU time as one figure: 'user' holds it, 'system' is 0. "
        "Times are the measured samples whose output matched the reference.")


def as_hyperfine(model: RunModel) -> str:
    results = []
    for cell in model.cells.values():
        ok = [s for s in cell.samples if s.ok and not s.warmup]
        if not ok:
            continue
        times = [s.wall_ns / 1e9 for s in ok]
        summary = summarize(times)
        cpu = [s.cpu_ns / 1e9 for s in ok if s.cpu_ns is not None]
        entry = {
            "command": f"{cell.runtime} {cell.benchmark} {cell.size} ({cell.mode})",
            "mean": summary["mean"], "stddev": summary["sd"] if len(times) > 1 else None,
            "median": summary["median"],
            "user": statistics.fmean(cpu) if cpu else 0.0, "system": 0.0,
            "min": summary["min"], "max": summary["max"], "times": times,
            "exit_codes": [s.exit_code if s.exit_code is not None else 0 for s in ok],
            "parameters": {"runtime": cell.runtime, "benchmark": cell.benchmark,
                           "size": str(cell.size), "mode": cell.mode},
        }
        rss = [s.peak_rss_bytes for s in ok]
        if all(r is not None for r in rss):
            entry["memory_usage_byte"] = rss
        results.append(entry)
    return serial.pretty({"results": results,
                          "faasbench": {"run_id": model.run_id, "note": NOTE}}) + "\n"
