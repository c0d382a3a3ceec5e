"""Log-scale grouped bars of medians (the start ladder, the study's cold-start figures), drawn
with plotext for the terminal report and the dashboard alike.

plotext's ``yscale("log")`` fails on bar charts (bars start at 0), so the bars are log10 of the
value in nanoseconds above a floor, with ticks labelled in time units.
"""

from __future__ import annotations

import math
import re
from typing import Any

from engine.report.units import fmt_ns

SHADES = ("█", "▓", "▒", "░", "#", "+")
"""Bar fills that tell series apart without colour (reports are plain text)."""


def draw_log_bars(plt: Any, series: dict[str, dict[str, float]], runtimes: list[str],
                  title: str, empty: str, shaded: bool = False) -> None:
    """Onto plotext module ``plt``: one group per runtime, one bar per series (a mode or a
    benchmark); ``empty`` is the title when there is nothing to draw."""
    plt.clear_figure()
    plt.title(title)
    values = [v for by_rt in series.values() for v in by_rt.values() if v > 0]
    if not values:
        plt.title(empty)
        return
    low = math.floor(math.log10(min(values))) - 1  # the smallest bar keeps a visible height
    high = math.ceil(math.log10(max(values)))
    if high == low:
        high += 1
    bars = [[math.log10(by_rt[rt]) if by_rt.get(rt) else low for rt in runtimes]
            for by_rt in series.values()]
    markers = list(SHADES[:len(bars)]) if shaded else None
    plt.multiple_bar(runtimes, bars, labels=list(series), minimum=low, marker=markers)
    ticks = list(range(low, high + 1))
    plt.yticks(ticks, [fmt_ns(10 ** t) for t in ticks])
    plt.ylim(low, high)


def ladder_chart(series: dict[str, dict[str, float]], runtimes: list[str], title: str,
                 width: int = 100, height: int = 20) -> str:
    """The chart as plain text (no colour), for reports."""
    import plotext as plt

    draw_log_bars(plt, series, runtimes, title, "nothing measured", shaded=True)
    plt.plotsize(width, height)
    plt.theme("clear")
    return re.sub(r"\x1b\[[0-9;]*m", "", plt.build())  # colour codes would garble files
