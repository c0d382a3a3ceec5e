"""Keys and what the views show, one keypress away (``?``)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from engine.terms import MODE_MEANINGS

HELP = """\
# faasbench dashboard

| key | where | does |
|-----|-------|------|
| `ctrl+r` | setup | start the run |
| `c` | live | cancel the current cell (its samples are kept) |
| `x` | live | cancel the whole run (everything measured is kept) |
| `r` | live, side by side | re-run the selected cell with new iterations / size |
| `v` | live | the runtimes side by side |
| `n` | live | back to setup for another run |
| `ctrl+s` | everywhere | scale: density and a burst (`ctrl+r` starts, `ctrl+x` stops) |
| `h` | everywhere | history: the runs kept in the data dir |
| `enter` / `o` | history | open the run side by side |
| `space`, `d` | history | mark runs A and B, then compare them cell by cell |
| `escape` | side by side, history, dialogs | back |
| `↑ ↓` `tab` | everywhere | move; mouse works too |
| `ctrl+p` | everywhere | command palette (themes) |
| `q` | everywhere | quit; the results file's path is printed |

**Live rows**: status, measured/planned iterations, last / median / p95 wall time,
a sparkline of every measured sample (bucket medians), peak RSS against the largest
seen in this session, and footprint (module + runtime or image size).

**Side by side**: medians, mean ± sd, ratios to docker and native in the same mode (native's
cold stands in for its load, which it does not have); the winner (lowest median) is
starred; the last column is what a million calls would cost under CPU-time and fuel
billing, when measured (`report RUN --cost` has all three models). The start ladder
puts each runtime's cold, load and warm nop on one log axis;
Footprint shows the function and what its host must install, both sides counted.
Guests never run in this process: a child `faasbench run --plan - --json` does, and every
dashboard run is saved as a results file.

**History** lists every kept run (CLI and dashboard) as `faasbench history` does; comparing
two shows, per cell both ran, B's median over A's with its bootstrap 95% interval, as
`faasbench compare A B` does.

**Start modes**, the same for every runtime:

| mode | what one request costs |
|------|------------------------|
""" + "".join(f"| {mode} | {meaning} |\n" for mode, meaning in MODE_MEANINGS.items())


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss(None)", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
