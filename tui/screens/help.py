"""Keys and what the views show, one keypress away (``?``)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# faasbench dashboard

| key | where | does |
|-----|-------|------|
| `ctrl+r` | setup | start the run |
| `c` | live | cancel the current cell (its samples are kept) |
| `x` | live | cancel the whole run (everything measured is kept) |
| `r` | live, compare | re-run the selected cell with new iterations / size |
| `v` | live | compare runtimes side by side |
| `n` | live | back to setup for another run |
| `escape` | compare, dialogs | back |
| `↑ ↓` `tab` | everywhere | move; mouse works too |
| `ctrl+p` | everywhere | command palette (themes) |
| `q` | everywhere | quit; the results file's path is printed |

**Live rows**: status, measured/planned iterations, last / median / p95 wall time,
a sparkline of every measured sample (bucket medians), peak RSS against the largest
seen in this session, and footprint (module + runtime or image size).

**Compare**: medians, mean ± sd, ratios to docker and native in the same mode; the
winner (lowest median) is starred. Guests never run in this process: a child
`faasbench run --json` does, and every dashboard run is saved as a results file.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss(None)", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
