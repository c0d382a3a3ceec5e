"""The controller's handle on a worker process: start, ask, and kill it with all its children."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Optional

from .protocol import Close, Message, decode, encode


class WorkerLost(RuntimeError):
    """The worker died, hung, or was killed by a cancel; ``timed_out`` when it gave no answer
    in time and was killed for it."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def worker_cpu() -> Optional[int]:
    """With two or more cores the worker gets the last one and the controller the others."""
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[-1] if len(cpus) >= 2 else None


def pin_controller() -> None:
    """Keep the controller off the worker's core."""
    cpu = worker_cpu()
    if cpu is not None:
        os.sched_setaffinity(0, set(os.sched_getaffinity(0)) - {cpu})


class Worker:
    """One ``python -m engine.worker`` in its own session, so Ctrl-C reaches only the controller."""

    def __init__(self, log_path: Path) -> None:
        cpu = worker_cpu()
        with log_path.open("a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "engine.worker"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=log, start_new_session=True,
                text=True, bufsize=1,
            )
        if cpu is not None:
            os.sched_setaffinity(self.proc.pid, {cpu})

    @property
    def pid(self) -> int:
        return self.proc.pid

    def request(self, msg: Message, timeout_s: float) -> Message:
        """Send one message and wait for its reply; raise WorkerLost if none comes."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(encode(msg) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise WorkerLost(self._death()) from None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        if not ready:
            self.kill()
            raise WorkerLost(f"timed out: no answer within {timeout_s:.0f} s, the worker was "
                             "killed", timed_out=True)
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerLost(self._death())
        try:
            return decode(line)
        except ValueError as exc:
            self.kill()
            raise WorkerLost(f"the worker sent garbage: {exc}") from None

    def _death(self) -> str:
        code = self.proc.wait()
        if code < 0:
            return f"worker process died (signal {signal.Signals(-code).name})"
        return f"worker process exited with code {code}"

    def close(self) -> None:
        """Ask politely, then make sure nothing of the worker's survives; release the pipes."""
        try:
            if self.proc.poll() is None and self.proc.stdin is not None:
                self.proc.stdin.write(encode(Close()) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=5)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        self.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def kill(self) -> None:
        """SIGKILL the worker and its guests; safe from a signal handler or another thread."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
