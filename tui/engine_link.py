"""The only place the dashboard talks to the engine: a child ``python -m engine run --json``.

Guests never run in the UI process. Each job is a child process whose stdout (JSON lines) a
thread worker reads and turns into ``EngineEvents`` batches; cancelling the run sends SIGINT
to the child, cancelling the cell sends SIGUSR1 (both handled by ``engine.cli.run_view``).
Jobs run one after another and all append to the same results file.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Optional

from textual.app import App
from textual.worker import get_current_worker

from engine.events import Event, RunError, from_dict

from .messages import EngineEvents, EngineExited

BATCH_SECONDS = 0.05
"""Longest a received event waits before it is posted; bounds UI messages to ~20/s."""
STDERR_TAIL = 600


@dataclass(frozen=True)
class Job:
    """One child run: the arguments ``faasbench run`` takes."""

    label: str
    runtimes: tuple[str, ...]
    benchmarks: tuple[str, ...]
    modes: tuple[str, ...]
    preset: str
    iterations: int
    sizes: dict[str, int] = field(default_factory=dict)

    def argv(self, python: str, out: Path) -> list[str]:
        args = [python, "-m", "engine", "run", "--json", "--out", str(out),
                "--runtimes", ",".join(self.runtimes), "--benchmarks", ",".join(self.benchmarks),
                "--mode", ",".join(self.modes), "--preset", self.preset,
                "--iterations", str(self.iterations)]
        for bench, size in self.sizes.items():
            args += ["--size", f"{bench}={size}"]
        return args


def parse_line(line: bytes) -> Event:
    """One stdout line as an event; anything unreadable becomes a RunError to show."""
    try:
        return from_dict(json.loads(line))
    except (ValueError, KeyError, TypeError) as exc:
        text = line.decode(errors="replace").strip()[:200]
        return RunError(f"unreadable engine output ({type(exc).__name__}): {text}")


class EngineLink:
    """Starts queued jobs one at a time and forwards their events to ``app`` as messages."""

    def __init__(self, app: App, out: Path, python: str = sys.executable) -> None:
        self.app, self.out, self.python = app, out, python
        self.queue: deque[Job] = deque()
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.job: Optional[Job] = None

    @property
    def busy(self) -> bool:
        return self.proc is not None or bool(self.queue)

    def submit(self, jobs: list[Job]) -> None:
        self.queue.extend(jobs)
        if self.proc is None:
            self.start_next()

    def start_next(self) -> None:
        """Called when idle and after each job ends (on the UI thread)."""
        self.proc = self.job = None
        if not self.queue:
            return
        self.job = job = self.queue.popleft()
        stderr = tempfile.TemporaryFile()  # noqa: SIM115  (the worker thread closes it)
        try:
            proc = self.proc = subprocess.Popen(
                job.argv(self.python, self.out), stdout=subprocess.PIPE, stderr=stderr,
                stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            stderr.close()
            self.app.post_message(EngineExited(job.label, -1, f"cannot start engine: {exc}"))
            return
        self.app.run_worker(lambda: self._pump(proc, job, stderr), thread=True,
                            exit_on_error=False, group="engine", name=job.label)

    def cancel_run(self) -> None:
        """Drop queued jobs and ask the running child to stop (it keeps what it measured)."""
        self.queue.clear()
        self._signal(signal.SIGINT)

    def cancel_cell(self) -> None:
        self._signal(signal.SIGUSR1)

    def shutdown(self, grace: float = 5.0) -> None:
        """On exit: cancel cleanly so the results file ends with RunFinished, then make sure."""
        proc = self.proc
        self.cancel_run()
        if proc is not None:
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()

    def _signal(self, signum: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def _pump(self, proc: subprocess.Popen[bytes], job: Job, stderr: IO[bytes]) -> None:
        """Thread worker: read stdout, batch events, post them; report how the child ended."""
        worker = get_current_worker()
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        pending: list[Event] = []
        partial = b""
        deadline = time.monotonic() + BATCH_SECONDS
        while not worker.is_cancelled:
            wait = max(0.0, deadline - time.monotonic()) if pending else 0.5
            readable, _, _ = select.select([fd], [], [], wait)
            if readable:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                *lines, partial = (partial + chunk).split(b"\n")
                if not pending:
                    deadline = time.monotonic() + BATCH_SECONDS
                pending.extend(parse_line(line) for line in lines if line.strip())
            if pending and time.monotonic() >= deadline:
                self.app.post_message(EngineEvents(pending))
                pending = []
        if worker.is_cancelled:
            proc.send_signal(signal.SIGINT)
        if partial.strip():
            pending.append(parse_line(partial))
        if pending:
            self.app.post_message(EngineEvents(pending))
        code = proc.wait()
        stderr.seek(0)
        tail = stderr.read().decode(errors="replace").strip()[-STDERR_TAIL:]
        stderr.close()
        problem = tail if code not in (0, 1, 130) else None
        self.app.post_message(EngineExited(job.label, code, problem))
