"""Results files: JSONL, one event per line, flushed as each event arrives.

A run killed with SIGKILL therefore keeps every line it wrote. Reports and the dashboard read
these files back; they never re-run anything. A file cut off mid-line (a killed run) or edited
by hand loads with its valid lines, and the bad ones come back as data (``Loaded.warning``):
the engine never prints, its callers show the one warning.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from engine import paths
from engine.errors import BadInput
from engine.serial import NotJson, SerialError
from engine.store.events import Event, SampleRecorded, from_json
from engine.store.run_model import Note, RunModel

SHOWN_BAD_LINES = 3
"""Line numbers a warning names after the first; a mangled file must not give a page of them."""


def default_path(run_id: str) -> Path:
    """A new file under the user data dir, named by start time and run id."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return results_dir() / f"run-{stamp}-{run_id}.jsonl"


class ResultsNotWritten(Exception):
    """A line could not be written (a full disk, a file gone away): measuring must stop. The
    file ends with the last line that was written whole, so it stays valid JSONL."""

    def __init__(self, path: Path, error: OSError, samples: int) -> None:
        reason = ("the disk is full" if error.errno in (errno.ENOSPC, errno.EDQUOT)
                  else f"the results file could not be written ({error.strerror or error})")
        kept = (f"the {samples} sample{'' if samples == 1 else 's'} recorded before it are "
                f"kept in {path}" if path.exists() else f"nothing was kept ({path})")
        super().__init__(f"{reason}: measuring stopped; {kept}; free some space there or "
                         f"give --out another disk")
        self.path, self.samples, self.reason = path, samples, reason


class ResultsWriter:
    """Append-only writer; each line goes to the OS (one write) before the next event is
    handled, so a run killed with SIGKILL keeps every line it wrote.

    The file is created by the first event, so a run refused before it began (a host that
    would not start it, an engine that died at once) leaves no empty file for history and
    reports to trip over. A write that fails (``ResultsNotWritten``) is cut back off the file:
    no half line is left for readers to skip.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.samples = 0
        """SampleRecorded lines written."""
        self._fd: Optional[int] = None
        self._size = 0
        """The file's length after the last whole line written."""
        self._created = False

    def write(self, event: Event) -> str:
        """Append the event's line; returns the line (without its newline)."""
        line = event.to_json()
        data = f"{line}\n".encode()
        try:
            if self._fd is None:
                self._open()
            assert self._fd is not None
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            self._cut_back()
            raise ResultsNotWritten(self.path, exc, self.samples) from None
        self._size += len(data)
        self.samples += isinstance(event, SampleRecorded)
        return line

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._created = not self.path.exists()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._size = os.fstat(self._fd).st_size

    def _cut_back(self) -> None:
        """After a failed write: the file as it was after its last whole line (and no file,
        when this writer made it and wrote nothing)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):  # else the half line stays; readers skip it
            os.ftruncate(self._fd, self._size)
        if self._created and self._size == 0:
            self.close()
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


KERNEL_FILESYSTEMS = frozenset({
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs", "tracefs",
    "securityfs", "configfs", "pstore", "bpf", "efivarfs", "fusectl", "mqueue", "binfmt_misc",
    "nsfs", "rpc_pipefs"})
"""Filesystems whose files are the kernel's interfaces: opening one for append succeeds, and
the first line written fails (``/proc/version``: EINVAL)."""


class ResultsPathError(BadInput):
    """``--out`` names a place where no results file can be written."""


def check_writable(path: Path, folder: bool = False) -> None:
    """Refuse, before anything is built or run, an ``--out`` that cannot be written: a file
    (``folder``: a folder of results files, one per host) under a file, on a read-only mount or
    a kernel filesystem, or not writable by this user; ResultsPathError says which."""
    path = Path(os.path.abspath(path))
    existing = path
    while not existing.exists():
        existing = existing.parent
    what = "a folder" if folder else "a results file"
    if existing != path and not existing.is_dir():
        raise ResultsPathError(f"--out {path}: {existing} is a file, so nothing can be made "
                               f"under it; choose {what} elsewhere")
    if existing == path and folder and not path.is_dir():
        raise ResultsPathError(f"--out {path} is a file; with --host it names a folder (one "
                               f"results file per host)")
    if existing == path and not folder and path.is_dir():
        raise ResultsPathError(f"--out {path} is a folder; name the results file (like "
                               f"{path / 'run.jsonl'})")
    if existing == path and not folder and not path.is_file():
        raise ResultsPathError(f"--out {path} is not a regular file; choose {what} on a disk")
    mount = _mount_of(existing)
    if mount is not None and mount.fstype in KERNEL_FILESYSTEMS:
        raise ResultsPathError(f"--out {path} is on {mount.fstype} ({mount.mountpoint}), a "
                               f"kernel filesystem that cannot keep files; choose {what} "
                               f"on a disk")
    if mount is not None and "ro" in mount.opts.split(","):
        raise ResultsPathError(f"--out {path} is on a read-only mount ({mount.mountpoint}); "
                               f"choose {what} on a writable disk")
    if not os.access(existing, os.W_OK | (0 if existing.is_file() else os.X_OK)):
        raise ResultsPathError(f"--out {path}: {existing} is not writable by this user; "
                               f"choose {what} elsewhere")


def _mount_of(path: Path) -> Optional[Any]:
    """The mount (psutil's partition: mountpoint, fstype, opts) that holds ``path``."""
    import psutil

    real = os.path.realpath(path)
    held = [m for m in psutil.disk_partitions(all=True)
            if real == m.mountpoint or real.startswith(m.mountpoint.rstrip("/") + "/")]
    return max(held, key=lambda m: len(m.mountpoint), default=None)


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
