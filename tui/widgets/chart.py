"""Log-scale bars of cold-start medians, like the study's figures, drawn with plotext.

plotext's ``yscale("log")`` fails on bar charts (bars start at 0), so the bars are log10 of the
value in nanoseconds above a floor, with ticks labelled in time units.
"""

from __future__ import annotations

import math

from textual_plotext import PlotextPlot

from engine.units import fmt_ns


class LogBars(PlotextPlot):
    """Grouped bars: one group per runtime, one bar per series (benchmark, or mode)."""

    def show(self, series: dict[str, dict[str, float]], runtimes: list[str], title: str,
             empty: str) -> None:
        """``series`` maps a bar label to each runtime's value; ``empty`` says what to run."""
        plt = self.plt
        plt.clear_figure()
        plt.title(title)
        values = [v for by_rt in series.values() for v in by_rt.values() if v > 0]
        if not values:
            plt.title(empty)
            self.refresh()
            return
        low = math.floor(math.log10(min(values))) - 1  # the smallest bar keeps a visible height
        high = math.ceil(math.log10(max(values)))
        if high == low:
            high += 1
        bars = [[math.log10(by_rt[rt]) if by_rt.get(rt) else low for rt in runtimes]
                for by_rt in series.values()]
        plt.multiple_bar(runtimes, bars, labels=list(series), minimum=low)
        ticks = list(range(low, high + 1))
        plt.yticks(ticks, [fmt_ns(10 ** t) for t in ticks])
        plt.ylim(low, high)
        self.refresh()
