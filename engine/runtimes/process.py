"""Start a program as a child process and measure it the way hyperfine does.

The launcher (``engine.build.launcher``) forks and waits for the program from a process of a
few KiB, so its wait4 gives the program's own CPU time and peak RSS, and its clock stamps leave
the Python side's costs out of the wall time. ``run_fresh_process`` does the same for a fresh
process (Python with an embedded engine, node) that reports its own phases. The watchdog here
serves in-process engines, whose guests can only be interrupted from another thread, and
``die_with_parent`` the processes a controller starts.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from engine.build.launcher import launcher_path, parse_report
from engine.runtimes.base import Invocation, Job
from engine.runtimes.request_report import RequestReport

STDERR_TAIL = 300


class Watchdog:
    """One thread per worker that fires a callback when an armed deadline passes."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._deadline: Optional[float] = None
        self._action: Optional[Callable[[], None]] = None
        self.fired = False
        threading.Thread(target=self._loop, name="faasbench-watchdog", daemon=True).start()

    def arm(self, seconds: float, action: Callable[[], None]) -> None:
        with self._cond:
            self._deadline = time.monotonic() + seconds
            self._action = action
            self.fired = False
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._deadline = None
            self._action = None

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._deadline is None:
                    self._cond.wait()
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                action, self._deadline, self._action = self._action, None, None
                self.fired = True
            if action is not None:
                action()


_watchdog: Optional[Watchdog] = None


def watchdog() -> Watchdog:
    """The process-wide watchdog, started on first use."""
    global _watchdog
    if _watchdog is None:
        _watchdog = Watchdog()
    return _watchdog


@dataclass
class ProcessResult:
    """A finished child: times are ``perf_counter_ns`` stamps, comparable with the child's own."""

    started_ns: int
    ended_ns: int
    exit_code: Optional[int]
    signal: Optional[int]
    cpu_ns: Optional[int]
    peak_rss_bytes: Optional[int]
    timed_out: bool
    launch_error: Optional[str] = None

    @property
    def wall_ns(self) -> int:
        return self.ended_ns - self.started_ns

    def failure(self) -> Optional[str]:
        """Why the process did not succeed, or None."""
        if self.timed_out:
            return "timed out (killed after the per-iteration timeout)"
        if self.launch_error is not None:
            return self.launch_error
        if self.signal is not None:
            return f"killed by signal {signal.Signals(self.signal).name}"
        if self.exit_code:
            return f"exit code {self.exit_code}"
        return None


def spawn_and_wait(path: str, argv: Sequence[str], *, stdout_path: str, stderr_path: str,
                   timeout_s: float, env: Optional[dict[str, str]] = None) -> ProcessResult:
    """Run the program at ``path`` with ``argv`` through the launcher; output goes to files.

    The environment is empty unless given. The timeout is a poll on a pidfd: no thread has
    to wake up, so it adds no latency; killing the launcher kills the program with it.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    report_path = f"{stdout_path}.launch"
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, stdout_path, flags, 0o600),
               (os.POSIX_SPAWN_OPEN, 2, stderr_path, flags, 0o600),
               (os.POSIX_SPAWN_OPEN, 3, report_path, flags, 0o600)]
    launcher = str(launcher_path())
    started = time.perf_counter_ns()
    pid = os.posix_spawn(launcher, [launcher, path, *argv], env or {}, file_actions=actions)
    pidfd = os.pidfd_open(pid)
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        timed_out = not poller.poll(timeout_s * 1000)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(pidfd)
    _, status, _ = os.wait4(pid, 0)
    ended = time.perf_counter_ns()
    with open(report_path, "rb") as fh:
        report = parse_report(fh.read())
    if report is None:  # the launcher itself was killed or could not start the program
        return ProcessResult(started, ended, None, os.WTERMSIG(status)
                             if os.WIFSIGNALED(status) else None, None, None, timed_out,
                             launch_error=f"launcher exit status {status}")
    return ProcessResult(report.start_ns, report.end_ns, report.exit_code, report.signal,
                         report.cpu_ns, report.peak_rss_bytes, timed_out)


def tail(path: str, limit: int = STDERR_TAIL) -> str:
    """The end of a text file on one line (for error messages); empty when unreadable."""
    try:
        text = Path(path).read_bytes()[-limit:].decode(errors="replace")
    except OSError:
        return ""
    return " ".join(text.split())


def die_with_parent() -> None:
    """Ask Linux to kill this process if the one that started it dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_fresh_process(exe: str, argv: Sequence[str], job: Job, *, process_stderr: str,
                      env: Optional[dict[str, str]] = None) -> Invocation:
    """One cold sample through a fresh process that prints a ``RequestReport`` and exits.

    Wall time, CPU time and peak RSS are the launcher's, for the whole process; phases are the
    process's own plus ``start`` (spawn until its code runs) and ``exit`` (the run's end until
    the process is gone). ``process_stderr`` receives the process's own stderr.
    """
    report_path = f"{job.stdout_path}.report.json"
    proc = spawn_and_wait(exe, argv, stdout_path=report_path, stderr_path=process_stderr,
                          timeout_s=job.options.timeout_s, env=env)
    inv = Invocation(wall_ns=proc.wall_ns, exit_code=None, cpu_ns=proc.cpu_ns,
                     peak_rss_bytes=proc.peak_rss_bytes, error=proc.failure())
    try:
        report = RequestReport.from_json(Path(report_path).read_bytes())
    except (OSError, ValueError):
        inv.error = inv.error or f"the fresh process reported nothing: {tail(process_stderr)}"
        return inv
    inv.exit_code = report.exit_code
    inv.error = report.error or inv.error
    inv.fuel, inv.guest_memory_bytes = report.fuel, report.guest_memory_bytes
    phases = dict(report.phases_ns)
    if report.main_ns is not None and report.done_ns is not None:
        phases = {"start": report.main_ns - proc.started_ns, **phases,
                  "exit": proc.ended_ns - report.done_ns}
    inv.phases_ns = phases
    return inv
