"""Bootstrap confidence intervals: of a median, and of the ratio of two medians.

The percentile bootstrap (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 13):
resample the measured values with replacement ``RESAMPLES`` times, take each resample's median,
and read the interval off the 2.5th and 97.5th percentiles of those medians. For a ratio, both
sides are resampled independently and the interval is that of the resampled medians' ratio.
The generator is seeded with ``SEED``, so the same samples always give the same interval and a
report can be rerun to the digit. Medians need no distributional assumption, which suits
latencies (skewed, with a long right tail).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

RESAMPLES = 2000
"""Efron & Tibshirani recommend at least 1000 for percentile intervals; 2000 keeps the ends
stable to about a percent of the interval's width."""
SEED = 2015
CONFIDENCE = 0.95
_CHUNK = 4_000_000
"""Values resampled per step: bounds the memory a 100,000-sample cell needs (32 MB)."""


def _resampled(rng: Any, values: Sequence[float], statistic: Any = None) -> Any:
    """``statistic`` (a numpy reduction; the median when None) of each of ``RESAMPLES``
    resamples."""
    import numpy as np

    statistic = np.median if statistic is None else statistic
    data = np.asarray(values, dtype=float)
    n = len(data)
    out = np.empty(RESAMPLES)
    rows = max(1, _CHUNK // n)
    for start in range(0, RESAMPLES, rows):
        count = min(rows, RESAMPLES - start)
        out[start:start + count] = statistic(data[rng.integers(0, n, (count, n))], axis=1)
    return out


def _interval(draws: Any) -> tuple[float, float]:
    import numpy as np

    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def median_interval(values: Sequence[float]) -> tuple[float, float]:
    """The 95% interval of the median of ``values`` (at least one value)."""
    import numpy as np

    return _interval(_resampled(np.random.default_rng(SEED), values))


def mean_interval(values: Sequence[float]) -> tuple[float, float]:
    """The 95% interval of the mean of ``values`` (at least one value)."""
    import numpy as np

    return _interval(_resampled(np.random.default_rng(SEED), values, np.mean))


def ratio_interval(values: Sequence[float], baseline: Sequence[float]) -> tuple[float, float]:
    """The 95% interval of median(values) / median(baseline) (both non-empty, baseline > 0)."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    return _interval(_resampled(rng, values) / _resampled(rng, baseline))
