"""A one-line text widget whose updates repaint without relayout (Static.update relayouts).

The live view redraws every row ~20 times a second during a fast run; relayouting the whole
screen each time was most of the UI's CPU.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class TextLine(Widget):
    DEFAULT_CSS = "TextLine { height: 1; }"

    text: reactive[Text] = reactive(Text(), layout=False)

    def render(self) -> Text:
        return self.text
