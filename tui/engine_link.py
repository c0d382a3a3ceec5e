"""The only place the dashboard talks to the engine: a child ``faasbench run --plan - --json``.

Guests never run in the UI process. Each request is one plan, sent to one child engine process
on its stdin; a thread worker reads the child's stdout (JSON lines) and turns it into
``EngineEvents`` batches. Cancelling the run sends SIGINT to the child, cancelling the cell
sends SIGUSR1 (both handled by ``engine.cli.run_view``). Every run appends to the same file.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Callable, Optional

import orjson
from textual.app import App
from textual.worker import get_current_worker

from engine.cli import EXIT_CANCELLED
from engine.events import Event, RunError
from engine.plan import Plan
from engine.remote.tagging import untag

from .messages import EngineEvents, EngineExited

BATCH_SECONDS = 0.05
"""Longest a received event waits before it is posted; bounds UI messages to ~20/s."""
STDERR_TAIL = 600


def child_argv(python: str, out: Path, hosts: Sequence[str] = ()) -> list[str]:
    """The child engine: it reads its plan from stdin and streams events to stdout. On hosts,
    it runs the plan on each (one results file each, in a folder beside ``out``) and tags
    every line with its host."""
    argv = [python, "-m", "engine", "run", "--plan", "-", "--json"]
    if not hosts:
        return [*argv, "--out", str(out)]
    return [*argv, "--out", str(hosts_dir(out)),
            *(arg for host in hosts for arg in ("--host", host))]


def hosts_dir(out: Path) -> Path:
    """Where runs on hosts started beside ``out`` keep their files."""
    return out.parent / f"{out.stem}-hosts"


def parse_line(line: bytes) -> tuple[Optional[str], Event]:
    """One stdout line as its host (None: this machine) and event; anything unreadable
    becomes a RunError to show."""
    try:
        return untag(orjson.loads(line))
    except (ValueError, KeyError, TypeError) as exc:
        text = line.decode(errors="replace").strip()[:200]
        return None, RunError(f"unreadable engine output ({type(exc).__name__}): {text}")


def batch(pending: list[tuple[Optional[str], Event]]) -> EngineEvents:
    """One message for events that arrived together, each with its host."""
    return EngineEvents([event for _, event in pending],
                        [machine for machine, _ in pending] if any(m for m, _ in pending)
                        else [])


class EngineLink:
    """Runs one plan at a time in a child engine and forwards its events to ``app``."""

    def __init__(self, app: App, out: Path, python: str = sys.executable) -> None:
        self.app, self.out, self.python = app, out, python
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def busy(self) -> bool:
        return self.proc is not None

    def start(self, plan: Plan, hosts: Sequence[str] = ()) -> None:
        """Start the child for ``plan`` (the caller checks ``busy`` first)."""
        label = plan.origin
        stderr = tempfile.TemporaryFile()  # noqa: SIM115  (the worker thread closes it)
        try:
            proc = subprocess.Popen(child_argv(self.python, self.out, hosts),
                                    stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=stderr,
                                    start_new_session=True)
        except OSError as exc:
            stderr.close()
            self.app.post_message(EngineExited(label, -1, f"cannot start engine: {exc}"))
            return
        self.proc = proc
        self.app.run_worker(lambda: self._pump(proc, plan, stderr), thread=True,
                            exit_on_error=False, group="engine", name=label)

    def finished(self) -> None:
        """Called on the UI thread once the child has exited."""
        self.proc = None

    def cancel_run(self) -> None:
        """Ask the running child to stop (it keeps what it measured)."""
        self._signal(signal.SIGINT)

    def cancel_cell(self) -> None:
        self._signal(signal.SIGUSR1)

    def shutdown(self, grace: float = 5.0) -> None:
        """On exit: cancel cleanly so the results file ends with RunFinished, then make sure."""
        interrupt_and_wait(self.proc, grace)

    def _signal(self, signum: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def _pump(self, proc: subprocess.Popen[bytes], plan: Plan, stderr: IO[bytes]) -> None:
        """Thread worker: send the plan, read stdout, batch events, post them; report how the
        child ended."""
        assert proc.stdin is not None
        try:
            proc.stdin.write(plan.to_json().encode())
            proc.stdin.close()
        except OSError:
            pass  # the child died at once; its stderr says why
        code, problem = stream_events(proc, stderr,
                                      lambda items: self.app.post_message(batch(items)))
        self.app.post_message(EngineExited(plan.origin, code, problem))


def interrupt_and_wait(proc: Optional[subprocess.Popen[bytes]], grace: float) -> None:
    """SIGINT a child engine (it then keeps what it measured and tears down what it started),
    wait up to ``grace`` seconds for it, then kill it."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()


def stream_events(proc: subprocess.Popen[bytes], stderr: IO[bytes],
                  post: Callable[[list[tuple[Optional[str], Event]]], None]
                  ) -> tuple[int, Optional[str]]:
    """In a thread worker: read a child engine's JSON lines, ``post`` them in batches (at most
    ``BATCH_SECONDS`` apart) as (host, event) pairs (``parse_line``), stop the child (SIGINT)
    if the worker is cancelled; returns the exit code and, when it ended badly, the end of its
    stderr."""
    worker = get_current_worker()
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    pending: list[tuple[Optional[str], Event]] = []
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
            post(pending)
            pending = []
    if worker.is_cancelled:
        proc.send_signal(signal.SIGINT)
    if partial.strip():
        pending.append(parse_line(partial))
    if pending:
        post(pending)
    code = proc.wait()
    stderr.seek(0)
    tail = stderr.read().decode(errors="replace").strip()[-STDERR_TAIL:]
    stderr.close()
    return code, tail if code not in (0, 1, EXIT_CANCELLED) else None
