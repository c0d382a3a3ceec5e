"""The worker process: where guests run, away from the controller (and from any UI).

The controller starts one worker per cell (``python -m engine.worker``), pinned to its own
core, and speaks ``engine.protocol`` over its stdin/stdout. A crashing or hanging guest
therefore costs one sample, never the run. The worker finds the cell's reference output
(computing it if needed, where a cancel can reach it) and checks every output against it
itself, so large outputs never cross the pipe.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Optional, TextIO

from . import datafiles, runtimes
from .protocol import (
    Close,
    Failed,
    Invoke,
    Measured,
    Message,
    Prepare,
    Prepared,
    decode,
    encode,
    one_line,
)
from .runtimes.base import Invocation, Job, Runtime
from .runtimes.process import tail
from .verify import Expected, check, reference_for


def _die_with_parent() -> None:
    """Ask Linux to kill this worker if the controller dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def judge(inv: Invocation, job: Job, expected: Expected) -> bool:
    """A sample is ok only if the guest ran, exited 0 and printed exactly the reference;
    otherwise ``inv.error`` says why (with the guest's last words on stderr)."""
    if inv.error is None and inv.exit_code not in (0, None):
        inv.error = f"exit code {inv.exit_code}"
    if inv.error is None and inv.exit_code is None:
        inv.error = "no exit status"
    if inv.error is not None:
        last_words = tail(job.stderr_path)
        inv.error = f"{inv.error}: {last_words}" if last_words else inv.error
        return False
    inv.error = check(Path(job.stdout_path), expected)
    return inv.error is None


class Session:
    """The state of one cell inside the worker."""

    def __init__(self) -> None:
        self.runtime: Optional[Runtime] = None
        self.expected: Optional[Expected] = None
        self.scratch = tempfile.mkdtemp(prefix="faasbench-", dir=_scratch_root())

    def prepare(self, msg: Prepare) -> Prepared:
        job = replace(msg.job, stdout_path=f"{self.scratch}/stdout",
                      stderr_path=f"{self.scratch}/stderr")
        datafiles.ensure_input(job.benchmark, msg.reference.size)
        self.expected = reference_for(msg.reference, job.options.timeout_s)
        self.runtime = runtimes.get(msg.runtime)(job)
        self.runtime.prepare()
        return Prepared(self.runtime.artifact_bytes(), self.runtime.runtime_bytes(),
                        self.expected.source)

    def invoke(self) -> Measured:
        assert self.runtime is not None and self.expected is not None
        try:
            inv = self.runtime.invoke()
        except Exception as exc:  # an engine error is this sample's failure, not the worker's
            inv = Invocation(wall_ns=0, exit_code=None, error=one_line(exc))
        return Measured(inv, judge(inv, self.runtime.job, self.expected))

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _scratch_root() -> Optional[str]:
    """Guest outputs go to memory-backed storage when there is some, to keep disk noise out."""
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


def _answer(session: Session, msg: Message, proto: TextIO) -> None:
    """Carry out one request, writing each reply as soon as it exists."""
    if isinstance(msg, Prepare):
        replies: Iterator[Message] = iter([session.prepare(msg)])
    elif isinstance(msg, Invoke):
        replies = (session.invoke() for _ in range(msg.count))
    else:
        replies = iter([Failed(f"the worker does not take {type(msg).__name__} messages")])
    for reply in replies:
        proto.write(encode(reply) + "\n")
        proto.flush()


def main() -> None:
    _die_with_parent()
    proto = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the protocol
    session = Session()
    try:
        for line in sys.stdin:
            try:
                msg = decode(line)
                if isinstance(msg, Close):
                    break
                _answer(session, msg, proto)
            except Exception as exc:  # reported to the controller, which decides what to do
                proto.write(encode(Failed(one_line(exc))) + "\n")
                proto.flush()
    finally:
        session.close()


if __name__ == "__main__":
    main()
