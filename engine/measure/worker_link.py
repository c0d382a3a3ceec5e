"""The controller's handle on a worker process: start, ask, and kill it with all its children."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque
from pathlib import Path
from typing import Optional, Union

from engine import owner
from engine.measure.measurements import Measured, Measurements
from engine.measure.protocol import Close, Message, decode_message, encode_message

READ_CHUNK = 1 << 16


class WorkerLost(RuntimeError):
    """The worker died, hung (and was killed for it), or was killed by a cancel."""


_CPUS = sorted(os.sched_getaffinity(0))
"""The cores this process may use, read before ``pin_controller`` narrows them."""


def worker_cpu() -> Optional[int]:
    """With two or more cores the worker gets the last one and the controller the others."""
    return _CPUS[-1] if len(_CPUS) >= 2 else None


def pin_controller() -> None:
    """Keep the controller off the worker's core."""
    cpu = worker_cpu()
    if cpu is not None:
        os.sched_setaffinity(0, set(_CPUS) - {cpu})


SCRATCH_PREFIX = "faasbench-"
OWNER_FILE = "owner"
"""In each scratch folder: its run's controller (``engine.owner``), for ``faasbench clean``."""


def _scratch_root() -> str:
    """Guest outputs go to memory-backed storage when there is some, to keep disk noise out."""
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()


def leftover_scratch() -> list[Path]:
    """Scratch folders whose run is over (its controller is gone, as after a SIGKILL); a live
    run's stay (it removes its own when it ends)."""
    gone: list[Path] = []
    for folder in Path(_scratch_root()).glob(f"{SCRATCH_PREFIX}*"):
        try:
            who = (folder / OWNER_FILE).read_text()
        except OSError:
            continue  # not a worker's scratch folder (or one from before owners were kept)
        if not owner.alive(who):
            gone.append(folder)
    return gone


class Worker:
    """One ``python -m engine.measure.worker SCRATCH`` in its own session, so Ctrl-C reaches
    only the controller. The scratch directory (guest outputs, job files) is the controller's
    to make and remove: a worker killed by a timeout or a cancel cannot clean up after itself.

    Replies are read by a thread of their own as they arrive: a worker serving warm requests
    streams them faster than the controller records them, and must not wait on a full pipe
    for it.
    """

    def __init__(self, log_path: Path) -> None:
        cpu = worker_cpu()
        self.scratch = tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=_scratch_root())
        Path(self.scratch, OWNER_FILE).write_text(owner.this_process())
        with log_path.open("a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "engine.measure.worker", self.scratch],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                start_new_session=True, bufsize=0)
        if cpu is not None:
            os.sched_setaffinity(self.proc.pid, {cpu})
        self._measured: deque[Measured] = deque()
        self._replies: queue.SimpleQueue[Optional[bytes]] = queue.SimpleQueue()
        self._ended = False
        self.sent: Optional[float] = None
        """When the worker sent the iteration last handed out (``time.monotonic`` seconds)."""
        self._reader = threading.Thread(target=self._read_replies, daemon=True,
                                        name=f"worker {self.proc.pid} replies")
        self._reader.start()

    def request(self, msg: Message, timeout_s: float) -> Union[Message, Measured]:
        """Send one message and wait for its (first) reply; raise WorkerLost if none comes."""
        self.send(msg)
        return self.receive(timeout_s)

    def send(self, msg: Message) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(encode_message(msg) + b"\n")
        except (BrokenPipeError, ValueError):
            raise WorkerLost(self._death()) from None

    def receive(self, timeout_s: float) -> Union[Message, Measured]:
        """The next reply, a batch of iterations handed out one ``Measured`` at a time;
        WorkerLost when none comes within ``timeout_s`` (the worker is then killed) or the
        worker died."""
        if not self._measured:
            reply = self._read(timeout_s)
            if not isinstance(reply, Measurements):
                return reply
            self._measured.extend(reply.items())
            self.sent = reply.sent_ns / 1e9
        return self._measured.popleft()

    def _read_replies(self) -> None:
        """The reader thread: each reply line as it arrives; None when the pipe ends (the
        worker exited or was killed, and a line it had not finished is dropped)."""
        assert self.proc.stdout is not None
        fd, pending = self.proc.stdout.fileno(), b""
        try:
            while chunk := os.read(fd, READ_CHUNK):
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    self._replies.put(line)
        except OSError:
            pass
        finally:
            self._replies.put(None)

    def _read(self, timeout_s: float) -> Message:
        if self._ended:
            raise WorkerLost(self._death())
        try:
            line = self._replies.get(timeout=timeout_s)
        except queue.Empty:
            self.kill()
            raise WorkerLost(f"timed out: no answer within {timeout_s:.0f} s, the worker "
                             "was killed") from None
        if line is None:
            self._ended = True
            raise WorkerLost(self._death())
        try:
            return decode_message(line)
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
                self.proc.stdin.write(encode_message(Close()) + b"\n")
                self.proc.wait(timeout=5)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        self.kill()
        self.proc.wait()
        self._reader.join(timeout=5)  # the pipe ends with the worker's group
        reading = self._reader.is_alive()  # (a guest's orphan holds it): keep its descriptor
        for stream in (self.proc.stdin, None if reading else self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL the worker and its guests; safe from a signal handler or another thread."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
