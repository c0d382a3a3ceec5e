"""Results files: JSONL, one event per line, flushed as each event arrives.

A run killed with SIGKILL therefore keeps every line it wrote. Reports and the dashboard read
these files back; they never re-run anything. A file cut off mid-line (a killed run) or edited
by hand loads with its valid lines, and the bad ones come back as data (``Loaded.warning``):
the engine never prints, its callers show the one warning.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Optional, Union

from engine import paths
from engine.errors import BadInput
from engine.serial import NotJson, SerialError
from engine.store.events import Event, from_json
from engine.store.run_model import Note, RunModel

SHOWN_BAD_LINES = 3
"""Line numbers a warning names after the first; a mangled file must not give a page of them."""


def default_path(run_id: str) -> Path:
    """A new file under the user data dir, named by start time and run id."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return results_dir() / f"run-{stamp}-{run_id}.jsonl"


class ResultsWriter:
    """Append-only writer; each line is flushed to the OS before the next event is handled.

    The file is created by the first event, so a run refused before it began (a host that
    would not start it, an engine that died at once) leaves no empty file for history and
    reports to trip over.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: Optional[IO[str]] = None

    def write(self, event: Event) -> str:
        """Append the event's line and flush it; returns the line (without its newline)."""
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
        line = event.to_json()
        self._fh.write(line + "\n")
        self._fh.flush()
        return line

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def shown_path(path: Path) -> str:
    """A results path as the views print it, or why there is none (the run recorded nothing)."""
    return str(path) if path.exists() else f"none recorded ({path} was not written)"


def results_dir() -> Path:
    """Where every run is kept, CLI and dashboard alike (``faasbench history`` lists it)."""
    return paths.data_dir() / "results"


@dataclass(frozen=True)
class BadLine:
    """A line that was skipped: its number (from 1) and why."""

    number: int
    reason: str


def parse_line(line: Union[bytes, str]) -> Event:
    """The event on one line of a results file; ValueError saying why it is not one."""
    try:
        return from_json(line)
    except NotJson as exc:
        end = b"\n" if isinstance(line, bytes) else "\n"
        if not line.endswith(end):  # type: ignore[arg-type]
            raise ValueError("cut off mid-line (the run was killed or crashed while writing "
                             "it)") from None
        raise ValueError(f"not JSON ({exc})") from None
    except SerialError as exc:
        raise ValueError(f"not an event ({exc})") from None


def bad_lines_warning(path: Path, bad: list[BadLine]) -> Optional[str]:
    """One line naming the first bad line (file:line: why) and counting the others."""
    if not bad:
        return None
    first, rest = bad[0], bad[1:]
    text = f"{path}:{first.number}: skipped, {first.reason}"
    if rest:
        shown = ", ".join(str(b.number) for b in rest[:SHOWN_BAD_LINES])
        text += (f" (and {len(rest)} more bad line{'s' if len(rest) > 1 else ''}: {shown}"
                 + (", …)" if len(rest) > SHOWN_BAD_LINES else ")"))
    return text


@dataclass
class Loaded:
    """A results file's events, in order, and the lines that were not events."""

    path: Path
    events: list[Event] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)

    @property
    def warning(self) -> Optional[str]:
        return bad_lines_warning(self.path, self.bad)


def load_results(path: Path) -> Loaded:
    """Every line of a results file that is an event; the others as ``BadLine``s.

    Raises OSError when the file cannot be read at all.
    """
    loaded = Loaded(path)
    with path.open("rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                loaded.events.append(parse_line(line))
            except ValueError as exc:
                loaded.bad.append(BadLine(number, str(exc)))
    return loaded


def read_events(path: Path) -> list[Event]:
    """The events of a results file, for callers that need no word about bad lines."""
    return load_results(path).events


class ResultsError(BadInput):
    """A results file that cannot be read at all (missing, unreadable, not a run)."""


def open_results(path: Path) -> Loaded:
    """``load_results``, with a file that cannot be read as a ResultsError saying what to do."""
    try:
        return load_results(path)
    except OSError as exc:
        raise ResultsError(f"cannot read results {path}: {exc.strerror}; "
                           f"`faasbench history` lists the recorded runs") from None


def load_model(path: Path) -> tuple[RunModel, list[str]]:
    """A results file folded into a ``RunModel``, with warnings about what did not fold."""
    return fold(open_results(path))


def fold(loaded: Loaded) -> tuple[RunModel, list[str]]:
    """Loaded events folded into a ``RunModel``, with warnings about what did not fold: the
    lines that are not events (``Loaded.warning``) and a plan that cannot be read."""
    notes: list[Note] = []
    model = RunModel.from_events(loaded.events, notes)
    if not model.cells:
        raise ResultsError(f"{loaded.path} holds no faasbench run")
    return model, [w for w in (loaded.warning,) if w] + [
        n.text for n in notes if n.level == "damaged"]
