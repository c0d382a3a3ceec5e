"""The only place the dashboard talks to the engine: a child ``faasbench`` process per request.

Guests never run in the UI process. A run is one plan sent to a child ``faasbench run --plan -
--json`` on its stdin, a scale run one spec sent to ``faasbench scale --spec - --json``; a thread
worker reads the child's stdout (JSON lines) and hands its events on in batches. Cancelling
sends SIGINT to the child, cancelling the cell SIGUSR1 (both handled by the command line's
``interrupts``). Every run appends to the same file.
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

from textual.app import App
from textual.message_pump import MessagePump
from textual.worker import get_current_worker

from engine.errors import EXIT_CANCELLED, EXIT_FAILED
from engine.remote.tagging import untag
from engine.spec.plan import Plan
from engine.spec.scale_spec import ScaleSpec
from engine.store.events import Event, RunError

from .messages import EngineEvents, EngineExited

BATCH_SECONDS = 0.05
"""Longest a received event waits before it is posted; bounds UI messages to ~20/s."""
STDERR_TAIL = 600
Pending = list[tuple[Optional[str], Event]]


def run_argv(python: str, out: Path, hosts: Sequence[str] = ()) -> list[str]:
    """The child for a run: it reads its plan from stdin and streams events to stdout. On
    hosts, it runs the plan on each (one results file each, in a folder beside ``out``) and
    tags every line with its host."""
    argv = [python, "-m", "faasbench", "run", "--plan", "-", "--json"]
    if not hosts:
        return [*argv, "--out", str(out)]
    return [*argv, "--out", str(hosts_dir(out)),
            *(arg for host in hosts for arg in ("--host", host))]


def scale_argv(python: str) -> list[str]:
    """The child for a scale run: its spec from stdin, its events to stdout."""
    return [python, "-m", "faasbench", "scale", "--spec", "-", "--json"]


def hosts_dir(out: Path) -> Path:
    """Where runs on hosts started beside ``out`` keep their files."""
    return out.parent / f"{out.stem}-hosts"


def parse_line(line: bytes) -> tuple[Optional[str], Event]:
    """One stdout line as its host (None: this machine) and event; anything unreadable
    becomes a RunError to show."""
    try:
        return untag(line)
    except ValueError as exc:
        text = line.decode(errors="replace").strip()[:200]
        return None, RunError(f"unreadable engine output ({exc}): {text}")


class ChildEngine:
    """One request at a time in a child engine: its events and how it ended are posted to
    ``target`` as ``EngineEvents`` and ``EngineExited`` (with the request's ``label``)."""

    def __init__(self, app: App, target: MessagePump) -> None:
        self.app, self.target = app, target
        self.proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def busy(self) -> bool:
        return self.proc is not None

    def start(self, argv: list[str], request: str, label: str) -> None:
        """Start the child and send it ``request`` (the caller checks ``busy`` first)."""
        stderr = tempfile.TemporaryFile()  # noqa: SIM115  (the worker thread closes it)
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=stderr, start_new_session=True)
        except OSError as exc:
            stderr.close()
            self.target.post_message(EngineExited(label, -1, f"cannot start engine: {exc}"))
            return
        self.proc = proc
        self.app.run_worker(lambda: self._pump(proc, request, label, stderr), thread=True,
                            exit_on_error=False, group="engine", name=label)

    def finished(self) -> None:
        """Called on the UI thread once the child has exited."""
        self.proc = None

    def cancel_run(self) -> None:
        """Ask the running child to stop (it keeps what it measured, tears down what it
        started)."""
        self._signal(signal.SIGINT)

    def cancel_cell(self) -> None:
        self._signal(signal.SIGUSR1)

    def shutdown(self, grace: float = 5.0) -> None:
        """On exit: cancel cleanly so the results file ends properly, wait up to ``grace``
        seconds for the child, then kill it."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()

    def _signal(self, signum: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signum)

    def _pump(self, proc: subprocess.Popen[bytes], request: str, label: str,
              stderr: IO[bytes]) -> None:
        """Thread worker: send the request, read stdout, batch events, post them; report how
        the child ended."""
        assert proc.stdin is not None
        try:
            proc.stdin.write(request.encode())
            proc.stdin.close()
        except OSError:
            pass  # the child died at once; its stderr says why
        code, problem = stream_events(proc, stderr,
                                      lambda items: self.target.post_message(batch(items)))
        self.target.post_message(EngineExited(label, code, problem))


class EngineLink(ChildEngine):
    """The app's runs: one plan at a time, every run appended to ``out``."""

    def __init__(self, app: App, out: Path, python: str = sys.executable) -> None:
        super().__init__(app, app)
        self.out, self.python = out, python

    def run(self, plan: Plan, hosts: Sequence[str] = ()) -> None:
        self.start(run_argv(self.python, self.out, hosts), plan.to_json(), plan.origin)


class ScaleLink(ChildEngine):
    """The scale screen's scale runs, one at a time."""

    def __init__(self, app: App, screen: MessagePump, python: str = sys.executable) -> None:
        super().__init__(app, screen)
        self.python = python

    def run(self, spec: ScaleSpec) -> None:
        self.start(scale_argv(self.python), spec.to_json(), "scale")


def batch(pending: Pending) -> EngineEvents:
    """One message for events that arrived together, each with its host."""
    return EngineEvents([event for _, event in pending],
                        [host for host, _ in pending] if any(h for h, _ in pending) else [])


def stream_events(proc: subprocess.Popen[bytes], stderr: IO[bytes],
                  post: Callable[[Pending], None]) -> tuple[int, Optional[str]]:
    """In a thread worker: read a child engine's JSON lines, ``post`` them in batches (at most
    ``BATCH_SECONDS`` apart) as (host, event) pairs (``parse_line``), stop the child (SIGINT)
    if the worker is cancelled; returns the exit code and, when it ended badly, the end of its
    stderr."""
    worker = get_current_worker()
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    pending: Pending = []
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
    return code, tail if code not in (0, EXIT_FAILED, EXIT_CANCELLED) else None
