"""Log-scale bars of medians in the dashboard, drawn by the report's plotext chart."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from engine.report.chart import draw_log_bars


class LogBars(PlotextPlot):
    """Grouped bars: one group per runtime, one bar per series (benchmark, or mode)."""

    def show(self, series: dict[str, dict[str, float]], runtimes: list[str], title: str,
             empty: str) -> None:
        """``series`` maps a bar label to each runtime's value; ``empty`` says what to run."""
        draw_log_bars(self.plt, series, runtimes, title, empty)
        self.refresh()
