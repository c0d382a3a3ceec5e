"""Results files: JSONL, one event per line, flushed as each event arrives.

A run killed with SIGKILL therefore keeps every line it wrote. Reports and the dashboard read
these files back; they never re-run anything.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Optional

from . import paths
from .events import Event

if TYPE_CHECKING:
    from .run_model import RunModel


def default_path(run_id: str) -> Path:
    """A new file under the user data dir, named by start time and run id."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return paths.data_dir() / "results" / f"run-{stamp}-{run_id}.jsonl"


class ResultsWriter:
    """Append-only writer; each line is flushed to the OS before the next event is handled."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: Optional[IO[str]] = path.open("a", encoding="utf-8")

    def write(self, event: Event) -> str:
        """Append the event's line and flush it; returns the line (without its newline)."""
        assert self._fh is not None
        line = event.to_json()
        self._fh.write(line + "\n")
        self._fh.flush()
        return line

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def read_results(path: Path) -> list[dict[str, Any]]:
    """Every complete line of a results file (a torn last line from a crash is skipped)."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return rows


class ResultsError(ValueError):
    """A results file that cannot be read at all (missing, unreadable, not a run)."""


def load_model(path: Path) -> tuple[RunModel, list[str]]:
    """A results file folded into a ``RunModel``, with warnings about what did not fold."""
    from .run_model import RunModel

    try:
        rows = read_results(path)
    except OSError as exc:
        raise ResultsError(f"cannot read results {path}: {exc.strerror}; "
                           f"`faasbench history` lists the recorded runs") from None
    notes: list[str] = []
    model = RunModel.from_rows(rows, notes)
    if not model.cells:
        raise ResultsError(f"{path} holds no faasbench run")
    return model, [n for n in notes if n.startswith("[yellow]cannot")]
