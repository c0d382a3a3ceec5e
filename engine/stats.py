"""Summary statistics over samples: pure functions, nothing here re-runs anything.

Median and percentiles use linear interpolation between order statistics (Hyndman & Fan
1996, definition 7, the NumPy default). Spread is the sample standard deviation and the
median absolute deviation (MAD, Hampel 1974), which outliers cannot drag around.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any, Optional

from .events import SampleRecorded, Tally


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of already sorted values, Hyndman-Fan definition 7."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarize(values: Iterable[float]) -> dict[str, Any]:
    """n, median, mean, sd, min, max, p95 and MAD; ``None`` figures when there are no values."""
    data = sorted(values)
    if not data:
        return {"n": 0, "median": None, "mean": None, "sd": None, "min": None, "max": None,
                "p95": None, "mad": None}
    median = percentile(data, 50)
    return {
        "n": len(data),
        "median": median,
        "mean": statistics.fmean(data),
        "sd": statistics.stdev(data) if len(data) > 1 else 0.0,
        "min": data[0],
        "max": data[-1],
        "p95": percentile(data, 95),
        "mad": statistics.median(abs(x - median) for x in data),
    }


def ratio(value: Optional[float], baseline: Optional[float]) -> Optional[float]:
    """value / baseline, or None when either is missing or the baseline is zero."""
    if value is None or not baseline:
        return None
    return value / baseline


def cell_summary(samples: Sequence[SampleRecorded]) -> dict[str, Any]:
    """Statistics over a cell's measured ok samples' wall times (ns), with the ``Tally``
    counts and the largest peak RSS."""
    tally = Tally()
    for sample in samples:
        tally.add(sample)
    ok = [s for s in samples if s.ok and not s.warmup]
    rss = [s.peak_rss_bytes for s in ok if s.peak_rss_bytes is not None]
    return {**summarize(s.wall_ns for s in ok), "ok": tally.ok, "failed": tally.failed,
            "peak_rss_bytes_max": max(rss) if rss else None}
