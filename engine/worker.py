"""The worker process: where guests run, away from the controller (and from any UI).

The controller starts one worker per cell (``python -m engine.worker``), pinned to its own
core, and talks JSON lines over its stdin/stdout. A crashing or hanging guest therefore costs
one sample, never the run. The worker checks every output against the reference itself, so
large outputs never cross the pipe.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

from . import runtimes
from .runtimes.base import Invocation, Job, Runtime
from .verify import Expected, check

STDERR_TAIL = 300


def _die_with_parent() -> None:
    """Ask Linux to kill this worker if the controller dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stderr_tail(path: str) -> str:
    try:
        text = Path(path).read_bytes()[-STDERR_TAIL:].decode(errors="replace").strip()
    except OSError:
        return ""
    return " ".join(text.split())


def judge(inv: Invocation, job: Job, expected: Expected) -> tuple[bool, Optional[str]]:
    """A sample is ok only if the guest ran, exited 0 and printed exactly the reference."""
    if inv.error is None and inv.exit_code not in (0, None):
        inv.error = f"exit code {inv.exit_code}"
    if inv.error is None and inv.exit_code is None:
        inv.error = "no exit status"
    if inv.error is not None:
        tail = _stderr_tail(job.stderr_path)
        return False, f"{inv.error}: {tail}" if tail else inv.error
    mismatch = check(Path(job.stdout_path), expected)
    return mismatch is None, mismatch


class Session:
    """The state of one cell inside the worker."""

    def __init__(self) -> None:
        self.runtime: Optional[Runtime] = None
        self.expected: Optional[Expected] = None
        self.scratch = tempfile.mkdtemp(prefix="faasbench-", dir=_scratch_root())

    def prepare(self, msg: dict[str, Any]) -> dict[str, Any]:
        job = Job(**{**msg["job"], "stdout_path": f"{self.scratch}/stdout",
                     "stderr_path": f"{self.scratch}/stderr"})
        self.expected = Expected(**msg["expected"])
        self.runtime = runtimes.get(msg["runtime"])(job)
        self.runtime.prepare()
        return {"ok": True, "footprint_bytes": self.runtime.footprint_bytes()}

    def invoke(self) -> dict[str, Any]:
        assert self.runtime is not None and self.expected is not None
        job = self.runtime.job
        try:
            inv = self.runtime.invoke()
        except Exception as exc:  # an engine error is this sample's failure, not the worker's
            inv = Invocation(wall_ns=0, exit_code=None, error=f"{type(exc).__name__}: {exc}")
        ok, error = judge(inv, job, self.expected)
        row = asdict(inv)
        row.update(ok=ok, error=error)
        return row


def _scratch_root() -> Optional[str]:
    """Guest outputs go to memory-backed storage when there is some, to keep disk noise out."""
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else None


def main() -> None:
    _die_with_parent()
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the protocol
    session = Session()
    for line in sys.stdin:
        msg = json.loads(line)
        op = msg["op"]
        try:
            if op == "prepare":
                reply = session.prepare(msg)
            elif op == "invoke":
                reply = session.invoke()
            else:
                if session.runtime is not None:
                    session.runtime.close()
                break
        except Exception as exc:  # reported to the controller, which decides what to do
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        proto.write(json.dumps(reply) + "\n")
    shutil.rmtree(session.scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
