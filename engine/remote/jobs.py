"""A run on a host, started so that it outlives the SSH session, and followed from here.

The host's engine writes its own results file in its data dir; this side reads that file over
SFTP as it grows and keeps a copy here. If the connection drops, the host's run goes on: the
cell that was running is closed here as failed with the reason (its received samples kept), and
``resume`` later fetches everything the host wrote.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable, Optional, Protocol

from engine import serial
from engine.remote.follow import SftpSource, follow
from engine.remote.ssh import HostError, describe, run_argv, sftp_client
from engine.remote.survey import HostInfo
from engine.serial import Record
from engine.spec.plan import Plan
from engine.store.events import (
    CellFinished,
    CellStarted,
    Event,
    RunError,
    RunPlanned,
    SampleRecorded,
    cell_summary,
)

if TYPE_CHECKING:
    import asyncssh

ALIVE_CHECK_SECONDS = 2.0
_LAUNCH = (
    "import subprocess, sys\n"
    "log = open(sys.argv[1], 'ab')\n"
    "child = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log, stderr=log,\n"
    "                         start_new_session=True)\n"
    "print(child.pid)\n"
)
"""Starts the engine in its own session, so closing (or losing) the SSH session leaves it
running; prints its pid."""


class HostRun(Record):
    """A run on a host: its pid there, its results file and its log (stdout and stderr)."""

    host: str
    pid: int
    results: str
    log: str


def host_run_of(events: Sequence[Event]) -> Optional[HostRun]:
    """The host run a local copy came from (its run_planned line says), if any."""
    for event in events[:1]:
        remote = event.environment.get("remote") if isinstance(event, RunPlanned) else None
        if remote:
            return serial.convert(remote, HostRun)
    return None


async def launch(conn: asyncssh.SSHClientConnection, host: str, info: HostInfo,
                 plan: Plan) -> HostRun:
    """Upload the plan beside the results, start ``faasbench run --plan FILE --out FILE``."""
    assert info.faasbench is not None
    stem = f"{info.results_dir}/run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    async with sftp_client(conn, host) as sftp:
        await sftp.makedirs(info.results_dir, exist_ok=True)
        async with sftp.open(f"{stem}.plan.json", "w") as fh:
            await fh.write(plan.to_json())
    result = await run_argv(conn, ["python3", "-c", _LAUNCH, f"{stem}.log", info.faasbench,
                                   "run", "--plan", f"{stem}.plan.json", "--out",
                                   f"{stem}.jsonl"])
    if result.exit_status != 0:
        raise HostError(f"{host}: cannot start the run: {str(result.stderr).strip()[-300:]}")
    return HostRun(host, int(str(result.stdout).strip()), f"{stem}.jsonl", f"{stem}.log")


class Control(Protocol):
    """What the user asked of a run in progress (``runner.Fanout``)."""

    @property
    def stopping(self) -> bool: ...

    @property
    def cell_cancels(self) -> int: ...


class Forwarder:
    """Turns the user's requests into signals for one engine, each sent once: SIGINT stops
    the run cleanly, SIGUSR1 cancels its current cell (``faasbench.interrupts``' handlers)."""

    def __init__(self, control: Control) -> None:
        self.control, self.stopped, self.cells = control, False, 0

    def due(self) -> list[signal.Signals]:
        due = []
        if self.control.stopping and not self.stopped:
            self.stopped = True
            due.append(signal.SIGINT)
        if self.control.cell_cancels > self.cells:
            self.cells = self.control.cell_cancels
            due.append(signal.SIGUSR1)
        return due


class CellTracker:
    """The cell in progress and its samples, to close it honestly if the stream breaks."""

    def __init__(self) -> None:
        self.current: Optional[CellStarted] = None
        self.samples: list[SampleRecorded] = []
        self.finished = False

    def see(self, event: Event) -> None:
        if isinstance(event, CellStarted):
            self.current, self.samples = event, []
        elif isinstance(event, SampleRecorded):
            self.samples.append(event)
        elif isinstance(event, CellFinished):
            self.current = None
        self.finished = self.finished or event.name == "run_finished"

    def broken(self, reason: str) -> list[Event]:
        """What to record when the stream ends early: the running cell failed with
        ``reason`` (its samples so far summarised), and the reason as a RunError."""
        closing: list[Event] = []
        if self.current is not None:
            c = self.current
            closing.append(CellFinished(c.cell_id, c.runtime, c.benchmark, c.size, c.mode,
                                        summary=cell_summary(self.samples), error=reason))
            self.current = None
        closing.append(RunError(reason))
        return closing


async def follow_job(conn: asyncssh.SSHClientConnection, job: HostRun,
                     emit: Callable[[Event], None], control: Control,
                     resume_hint: str) -> None:
    """Hand on the job's events as its results file grows, until its RunFinished; if the
    run there ends without one, or the connection drops, close the running cell as failed."""
    import asyncssh

    tracker = CellTracker()
    forward = Forwarder(control)
    checked = time.monotonic()
    try:
        async with sftp_client(conn, job.host) as sftp:
            async for batch in follow(SftpSource(sftp, job.results, job.host)):
                for event in batch:
                    event = with_job(event, job)
                    tracker.see(event)
                    emit(event)
                if tracker.finished:
                    return
                for signum in forward.due():
                    await run_argv(conn, ["kill", f"-{signum.name[3:]}", str(job.pid)])
                if not batch and time.monotonic() - checked > ALIVE_CHECK_SECONDS:
                    checked = time.monotonic()
                    if not await _alive(conn, job):
                        tail = await _log_tail(sftp, job.log)
                        for event in tracker.broken(f"{job.host}: the run there ended "
                                                    f"without finishing: {tail}"):
                            emit(event)
                        return
    except (OSError, asyncssh.Error) as exc:
        for event in tracker.broken(f"{job.host}: connection lost ({describe(exc)}); the run "
                                    f"there goes on: {resume_hint}"):
            emit(event)


def with_job(event: Event, job: HostRun) -> Event:
    """The host's run_planned with where the run lives there (for resume and watch)."""
    if isinstance(event, RunPlanned):
        return serial.replace(event, environment={**event.environment,
                                                  "remote": serial.to_builtins(job)})
    return event


async def _alive(conn: asyncssh.SSHClientConnection, job: HostRun) -> bool:
    return (await run_argv(conn, ["kill", "-0", str(job.pid)])).exit_status == 0


async def _log_tail(sftp: asyncssh.SFTPClient, path: str) -> str:
    try:
        async with sftp.open(path, "rb") as fh:
            text = (await fh.read()).decode(errors="replace")
    except OSError:
        return "(no log)"
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-3:])[-400:] or "(empty log)"
