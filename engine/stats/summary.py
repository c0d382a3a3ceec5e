"""Summary statistics over samples: pure functions, nothing here re-runs anything.

Median and percentiles use linear interpolation between order statistics (Hyndman & Fan
1996, definition 7, the NumPy default). Spread is the sample standard deviation, its
coefficient of variation, and the median absolute deviation (MAD, Hampel 1974), which outliers
cannot drag around. Outliers are flagged by the modified z-score 0.6745·(x - median)/MAD above
``OUTLIER_Z`` = 3.5 (Iglewicz & Hoaglin 1993, *How to Detect and Handle Outliers*); they are
counted, never dropped. The median's 95% interval and every ratio's come from the seeded
bootstrap in ``engine.bootstrap``. Warm-up samples are recorded but never enter a statistic.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Optional

OUTLIER_Z = 3.5
_MAD_TO_Z = 0.6745
"""The normal distribution's MAD in standard deviations (Φ⁻¹(0.75))."""


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of already sorted values, Hyndman-Fan definition 7."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def outlier_flags(values: Sequence[float]) -> list[bool]:
    """Which values are outliers by the modified z-score. With a MAD of zero (more than half
    the values equal) no score exists and nothing is flagged."""
    if not values:
        return []
    median = statistics.median(values)
    mad = statistics.median(abs(x - median) for x in values)
    if mad == 0:
        return [False] * len(values)
    return [abs(_MAD_TO_Z * (x - median) / mad) > OUTLIER_Z for x in values]


EMPTY_SUMMARY = dict.fromkeys(("median", "median_low", "median_high", "mean", "sd", "cv", "min",
                               "max", "p5", "p95", "mad", "outliers"))


def summarize(values: Iterable[float]) -> dict[str, Any]:
    """n, median with its 95% interval, mean, sd, cv, min, max, p5, p95, MAD and the outlier
    count; ``None`` figures when there are no values."""
    from engine.stats.bootstrap import median_interval

    data = sorted(values)
    if not data:
        return {"n": 0, **EMPTY_SUMMARY}
    median = percentile(data, 50)
    mean = statistics.fmean(data)
    sd = statistics.stdev(data) if len(data) > 1 else 0.0
    low, high = median_interval(data)
    return {
        "n": len(data),
        "median": median,
        "median_low": low,
        "median_high": high,
        "mean": mean,
        "sd": sd,
        "cv": sd / mean if mean else None,
        "min": data[0],
        "max": data[-1],
        "p5": percentile(data, 5),
        "p95": percentile(data, 95),
        "mad": statistics.median(abs(x - median) for x in data),
        "outliers": sum(outlier_flags(data)),
    }


@dataclass(frozen=True)
class RatioEstimate:
    """median(values) / median(baseline) with its 95% bootstrap interval."""

    ratio: float
    low: float
    high: float

    @property
    def clear(self) -> bool:
        """False when the interval contains 1: no clear difference."""
        return not self.low <= 1 <= self.high


def ratio_estimate(values: Sequence[float],
                   baseline: Sequence[float]) -> Optional[RatioEstimate]:
    """The one way a ratio is taken (the CLI, the dashboard, reports and claims): None when
    either side has no values or the baseline's median is zero."""
    from engine.stats.bootstrap import ratio_interval

    if not values or not baseline:
        return None
    base = statistics.median(baseline)
    if not base:
        return None
    low, high = ratio_interval(values, baseline)
    return RatioEstimate(statistics.median(values) / base, low, high)
