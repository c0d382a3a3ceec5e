"""Pure functions: statistics against hand-computed values, events through their JSON form."""

from __future__ import annotations

import json

import pytest

from engine.spec.plan import Cell
from engine.stats.summary import percentile, summarize
from engine.store import events

pytestmark = pytest.mark.fast


def test_summary_against_hand_computed_values():
    s = summarize([4, 1, 3, 2, 100])
    assert s["n"] == 5 and s["median"] == 3 and s["min"] == 1 and s["max"] == 100
    assert s["mean"] == pytest.approx(22.0)
    assert s["sd"] == pytest.approx(43.6176, rel=1e-4)
    assert s["mad"] == 1
    assert s["p95"] == pytest.approx(80.8)


def test_percentile_interpolates_and_rejects_empty():
    assert percentile([10, 20], 50) == 15
    assert percentile([7], 95) == 7
    with pytest.raises(ValueError):
        percentile([], 50)


def test_empty_summary():
    assert summarize([])["median"] is None and summarize([])["n"] == 0


def test_event_json_round_trip():
    cell = Cell("native", "nop", 0, "cold", 3, 0)
    sample = events.SampleRecorded(**cell.identity(), runtime_version="v", iteration=0,
                                   warmup=False, wall_ns=1000, cpu_ns=10, peak_rss_bytes=4096,
                                   exit_code=0, ok=True, phases_ns={"x": 1})
    data = json.loads(sample.to_json())
    assert data["event"] == "sample_recorded"
    assert (data["cell_id"], data["runtime"], data["size"]) == ("native/nop/cold", "native", 0)
    assert events.from_dict(data) == sample


def test_tally_counts_measured_samples_only():
    cell = Cell("native", "nop", 0, "warm", 2, 1)
    tally = events.Tally()
    for iteration, ok in enumerate((False, True, False)):  # the first is the warm-up
        tally.add(events.SampleRecorded(
            **cell.identity(), runtime_version="v", iteration=iteration,
            warmup=iteration < cell.warmup, wall_ns=1, cpu_ns=None, peak_rss_bytes=None,
            exit_code=0, ok=ok))
    assert (tally.ok, tally.failed) == (1, 1)


def test_figures_stay_readable():
    from engine.report.units import fmt_bytes, fmt_ns, fmt_ratio

    assert [fmt_ns(x) for x in (None, 950, 1_500, 2_340_000, 123_456_789_000)] == [
        "–", "950 ns", "1.5 µs", "2.34 ms", "123 s"]
    assert fmt_bytes(3 << 20) == "3.0 MiB"
    assert [fmt_ratio(x) for x in (None, 0.0008, 0.96, 18.64, 1245.3)] == [
        "–", "0.0008×", "0.96×", "18.64×", "1245×"]
