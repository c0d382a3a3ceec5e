"""Statistics against values worked out independently: by hand for small cases, and for the
bootstrap by its defining properties (seeded, bracketing the estimate, shrinking with n, a
ratio of identical distributions straddling 1)."""

from __future__ import annotations

import random
import statistics
import tracemalloc

import pytest

from engine.stats import bootstrap
from engine.stats.summary import OUTLIER_Z, outlier_flags, ratio_estimate, summarize

pytestmark = pytest.mark.fast


def test_summary_figures_by_hand():
    s = summarize([4, 1, 3, 2, 100])
    # sorted 1 2 3 4 100; p5 = 1 + 0.2*(2-1) (Hyndman-Fan 7: position 0.2)
    assert s["p5"] == pytest.approx(1.2)
    assert s["cv"] == pytest.approx(43.6176 / 22.0, rel=1e-4)
    # median 3, absolute deviations 2 1 0 1 97 -> MAD 1; z(100) = 0.6745*97 = 65.4 > 3.5
    assert s["outliers"] == 1
    assert s["median_low"] <= 3 <= s["median_high"]


def test_outliers_by_the_modified_z_score():
    # 7 8 9 10 11 12 x (x > 12): median 10, deviations 3 2 1 0 1 2 x-10 -> MAD 2, so
    # z(x) = 0.6745 (x - 10) / 2 exceeds 3.5 exactly when x > 20.38
    assert OUTLIER_Z == 3.5
    assert outlier_flags([7, 8, 9, 10, 11, 12, 20]) == [False] * 7
    assert outlier_flags([7, 8, 9, 10, 11, 12, 21]) == [False] * 6 + [True]
    assert outlier_flags([5, 5, 5, 6]) == [False] * 4, "MAD 0: no score, nothing flagged"


def test_bootstrap_interval_is_seeded_and_brackets_the_median():
    rng = random.Random(1)
    values = [rng.lognormvariate(0, 0.5) for _ in range(200)]
    first = bootstrap.median_interval(values)
    assert first == bootstrap.median_interval(values), "same samples, same interval"
    assert first[0] < statistics.median(values) < first[1]
    wide = bootstrap.median_interval(values[:20])
    assert wide[1] - wide[0] > first[1] - first[0], "fewer samples, a wider interval"
    assert bootstrap.median_interval([7.0]) == (7.0, 7.0)
    assert bootstrap.median_interval([3.0] * 10) == (3.0, 3.0)


def test_ratio_of_medians_and_no_clear_difference():
    rng = random.Random(2)
    a = [rng.gauss(100, 5) for _ in range(100)]
    b = a[::-1]
    same = ratio_estimate(a, b)
    assert same is not None and same.ratio == pytest.approx(
        statistics.median(a) / statistics.median(b))
    assert not same.clear, "the same values: the interval contains 1"
    slower = ratio_estimate([x * 2 for x in a], b)
    assert slower is not None and slower.clear and slower.low > 1.8 and slower.high < 2.2
    assert ratio_estimate([], b) is None and ratio_estimate(a, []) is None
    assert ratio_estimate(a, [0, 0, 0]) is None


def test_large_cells_resample_in_bounded_chunks():
    """20,000 values resampled 2,000 times at once would hold 320 MB of draws (and as much of
    indices); in chunks the peak stays a tenth of that (numpy reports to tracemalloc)."""
    values = list(range(1, 20_001))
    tracemalloc.start()
    try:
        low, high = bootstrap.median_interval(values)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert low < 10_000.5 < high and high - low < 600
    assert peak < 100 << 20, f"{peak >> 20} MiB at the peak"
