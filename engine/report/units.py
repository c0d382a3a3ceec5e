"""Human-readable figures, shared by the CLI and the dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from engine.stats.summary import RatioEstimate


def fmt_ns(ns: Optional[float]) -> str:
    """A duration in the unit that keeps three significant figures readable."""
    if ns is None:
        return "–"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if abs(ns) >= scale:
            return f"{ns / scale:.3g} {unit}" if ns / scale < 100 else f"{ns / scale:.0f} {unit}"
    return f"{ns:.0f} ns"


def fmt_ns_range(low: Optional[float], high: Optional[float]) -> str:
    """"158–233 µs": the unit once when both ends share it."""
    a, b = fmt_ns(low), fmt_ns(high)
    head, _, unit = a.rpartition(" ")
    return f"{head}–{b}" if unit and b.endswith(" " + unit) else f"{a}–{b}"


def fmt_bytes(n: Optional[float]) -> str:
    if n is None:
        return "–"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def fmt_ratio(r: Optional[float]) -> str:
    """Ratios below 1 keep two significant figures, so 1/1000 does not print as 0.00×."""
    if r is None:
        return "–"
    if r >= 100:
        return f"{r:.0f}×"
    return f"{r:.2f}×" if r >= 1 else f"{r:.2g}×"


UNCLEAR = "≈"
"""Marks a ratio whose 95% interval contains 1: no clear difference."""


def fmt_interval(estimate: Optional[RatioEstimate]) -> str:
    """A ratio's 95% interval on its own, both ends with their × ("–" without an estimate);
    ``fmt_estimate`` writes it shorter, in brackets after the ratio."""
    if estimate is None:
        return "–"
    return f"{fmt_ratio(estimate.low)}–{fmt_ratio(estimate.high)}"


def fmt_estimate(estimate: Optional[RatioEstimate], interval: bool = True) -> str:
    """A ratio with its 95% interval, "≈" in front when the interval contains 1."""
    if estimate is None:
        return "–"
    text = fmt_ratio(estimate.ratio)
    if interval:
        text += f" [{fmt_ratio(estimate.low)[:-1]}–{fmt_ratio(estimate.high)}]"
    return text if estimate.clear else f"{UNCLEAR}{text}"
