"""The runtime interface: what every way of running a benchmark program must provide.

A runtime lives in the worker process. The worker calls ``prepare()`` once per cell and
``invoke()`` once per iteration (or ``serve_many()`` for many, where a server can serve them
back to back), then ``close()``. Capability flags are class data so the
CLI and the dashboard can show them without special cases. Phases are named as the runtime
really has them (the names are listed in ``engine.protocol.PHASES``); what it does not expose
stays out rather than being guessed.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Optional

from engine.runtimes.peak_rss import PeakRss
from engine.serial import Record
from engine.spec.options import RunOptions
from engine.terms import Mode, Phase, RuntimeKind, Target


class CellStopped(Exception):
    """What a cell needs went away: its container was removed from outside the run, or the
    engine behind it stopped answering. No further iteration of the cell can be measured, so
    ``invoke`` raises this instead of failing every one: the cell ends with this message and
    keeps the samples before it. ``recheck``: later cells must ask again whether the runtime is
    available (its engine may answer again)."""

    def __init__(self, message: str, recheck: bool = False) -> None:
        super().__init__(message)
        self.recheck = recheck


@dataclass(frozen=True)
class Availability:
    """Whether a runtime can run here; when not, why and how to fix it. Never an exception."""

    ok: bool
    version: str = ""
    reason: str = ""
    fix: str = ""
    details: dict[str, Any] = field(default_factory=dict)


class Job(Record):
    """Everything a runtime needs to run one cell; plain data so it crosses process borders."""

    benchmark: str
    artifact: str
    """The program (.wasm or native binary); empty for a runtime that needs none."""
    argv: list[str]
    host_dir: str
    """The benchmark's data directory on the host: the only directory the guest is shown."""
    guest_dir: str
    """Where the guest sees ``host_dir`` (read-only)."""
    mode: Mode
    run_id: str
    options: RunOptions
    stdout_path: str = ""
    stderr_path: str = ""
    """Where the guest's output goes; the worker sets both to its scratch space."""
    owner: str = ""
    """The run's controller (``engine.owner``), which its containers are labelled with."""


@dataclass
class Invocation:
    """What one iteration measured; the worker adds the output check."""

    wall_ns: int
    exit_code: Optional[int]
    cpu_ns: Optional[int] = None
    peak_rss_bytes: Optional[int] = None
    phases_ns: dict[Phase, int] = field(default_factory=dict)
    fuel: Optional[int] = None
    guest_memory_bytes: Optional[int] = None
    error: Optional[str] = None


@dataclass(frozen=True)
class Served:
    """Requests a server served back to back (``Runtime.serve_many``): every one before the last
    ran, exited 0 and printed nothing, as its reference does; the last is for the worker to
    judge, its output still in the job's files."""

    clean: dict[str, Any]
    """The requests before the last, column by column: ``Invocation``'s field names, with
    ``phases_ns`` a column per phase."""
    last: Invocation

    @property
    def count(self) -> int:
        return len(self.clean["wall_ns"]) + 1


def distribution_bytes(name: str) -> Optional[int]:
    """Installed size of a Python distribution, from the sizes pip recorded for its files."""
    from importlib import metadata  # slow to import; only footprints need it

    try:
        files = metadata.files(name)
    except metadata.PackageNotFoundError:
        return None
    return sum(f.size or 0 for f in files or [])


class Runtime(ABC):
    """One way to run a program. Subclasses set the class data and implement the methods."""

    name: ClassVar[str]
    artifact_target: ClassVar[Optional[Target]]
    """Which build it runs: ``wasm``, ``native``, or None for none."""
    kind: ClassVar[RuntimeKind]
    """``native``, ``wasm`` or ``container``: which side of the comparison it is on (doctor
    and the results show it)."""
    counts_fuel: ClassVar[bool] = False
    has_memory_limit: ClassVar[bool] = False
    keeps_server: ClassVar[bool] = True
    """False when nothing stays up between requests (a process per run): its warm cells then
    start a fresh process per iteration exactly like cold ones, and say so."""
    same_as: ClassVar[dict[Mode, Mode]] = {}
    """Modes this runtime does not have, each with the mode it would equal: such cells are not
    run twice under another name; the results record which mode stands in."""
    cold_process: ClassVar[Optional[str]] = None
    """What a cold start launches when it is not the runtime itself ("python process" for an
    engine embedded in Python): shown beside every cold figure so nobody mistakes it."""
    maps_guest_dir: ClassVar[bool] = True
    """False when the program sees host paths (native), so its argv names the host directory."""
    reply_grace_s: ClassVar[float] = 5.0
    """How long past the per-iteration timeout the controller waits for an answer before it
    kills the worker and records the sample as timed out."""

    def __init__(self, job: Job) -> None:
        self.job = job

    @classmethod
    @abstractmethod
    def available(cls) -> Availability:
        """Whether the runtime can run here, with why not and the fix; must not raise."""

    def prepare(self) -> None:
        """Load what the mode keeps up between iterations (compiled module, running host)."""

    @abstractmethod
    def invoke(self) -> Invocation:
        """Run one iteration, writing the guest's stdout/stderr to the job's paths."""

    def serve_many(self, limit: int, budget_ns: int, silent: bool) -> Optional[Served]:
        """Up to ``limit`` iterations served back to back, ending with the first that needs
        judging or once ``budget_ns`` has passed, for a runtime whose server serves them without
        Python in between; None (the default) when ``invoke`` serves one at a time.
        ``silent``: whether the reference output is empty, so a request that printed nothing
        and exited 0 is correct without a look at its files."""
        return None

    def close(self) -> None:
        """Release what ``prepare`` kept."""

    def stdout_bytes(self) -> Optional[int]:
        """The size of the last request's output when the runtime holds the file open (a
        lookup by path would cost a tenth of a warm instance); None otherwise."""
        return None

    def peak_window(self) -> Optional[PeakRss]:
        """For requests served inside the worker itself: its own high-water mark, which the
        worker resets and reads once per batch of iterations it streams (``engine.worker``),
        since a read costs about as much as a warm instance. None (the default) when each
        iteration measures its own peak (a process per request, or a server of its own)."""
        return None

    @classmethod
    def installed_bytes(cls) -> Optional[int]:
        """What any machine must have installed to run functions this way (the engine's package
        or binaries; doctor shows it); None when it cannot tell."""
        return None

    def runtime_bytes(self) -> Optional[int]:
        """What this cell's machine must have installed: ``installed_bytes`` unless the cell's
        settings need more (Docker: a base image)."""
        return self.installed_bytes()

    def artifact_bytes(self) -> Optional[int]:
        """What is deployed per function (the module, the binary, the image); after prepare."""
        return os.path.getsize(self.job.artifact) if self.job.artifact else None

    @classmethod
    def mode_note(cls, mode: Mode) -> Optional[str]:
        """How this runtime's ``mode`` differs from what its name promises, or None."""
        if mode == "warm" and not cls.keeps_server:
            return f"warm = cold: {cls.name} keeps nothing up between requests, so each one " \
                   "starts a fresh process"
        if mode == "cold" and cls.cold_process:
            return f"cold = a fresh {cls.cold_process} per request (its start, loading " \
                   f"{cls.name}, then the function), not {cls.name}'s own start"
        return None

    @classmethod
    def cleanup(cls, run_id: str) -> None:
        """Remove what a killed worker of this run left behind; the controller calls this."""
