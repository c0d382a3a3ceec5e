"""A one-line horizontal gauge: label, bar, value. Used for peak RSS and footprint."""

from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from engine.report.units import fmt_bytes

BAR_WIDTH = 4
EIGHTHS = " ▏▎▍▌▋▊▉█"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A bar of ``width`` cells filled to ``fraction`` with eighth-block resolution."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[rest] if rest else "")).ljust(width)


class Gauge(Widget):
    """``label ▕bar▏ value`` where the bar is value against a scale (the largest seen).

    With ``part`` set, the bar's first ``part`` bytes (a footprint's deployed function) are
    drawn in another colour from the rest (the runtime the host must have installed).
    """

    DEFAULT_CSS = "Gauge { width: auto; height: 1; }"

    value: reactive[Optional[int]] = reactive(None)
    scale: reactive[int] = reactive(0)
    part: reactive[Optional[int]] = reactive(None)

    def __init__(self, label: str, *, id: Optional[str] = None) -> None:
        super().__init__(id=id)
        self.label = label

    def render(self) -> Text:
        fraction = (self.value or 0) / self.scale if self.scale else 0.0
        drawn = bar(fraction)
        if self.part and self.scale:
            cut = min(len(drawn.rstrip()), max(1, round(self.part / self.scale * BAR_WIDTH)))
            segments = [(drawn[:cut], "magenta"), (drawn[cut:], "cyan")]
        else:
            segments = [(drawn, "cyan")]
        return Text.assemble((f"{self.label} ", "dim"), ("▕", "dim"), *segments, ("▏", "dim"),
                             f"{fmt_bytes(self.value):>9}")
