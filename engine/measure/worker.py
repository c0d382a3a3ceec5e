"""The worker process: where guests run, away from the controller (and from any UI).

The controller starts one worker per cell (``python -m engine.measure.worker``), pinned to its
own core, and speaks ``engine.measure.protocol`` over its stdin/stdout. A crashing or hanging guest
therefore costs one sample, never the run. The worker finds the cell's reference output
(computing it if needed, where a cancel can reach it) and checks every output against it
itself, so large outputs never cross the pipe.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from typing import BinaryIO, Optional

from engine import runtimes, serial
from engine.build import datafiles
from engine.errors import one_line
from engine.measure.measurements import Batch, Measured
from engine.measure.protocol import (
    Close,
    Failed,
    Invoke,
    Message,
    Prepare,
    Prepared,
    Stopped,
    decode_message,
    encode_message,
)
from engine.runtimes.base import CellStopped, Invocation, Runtime
from engine.runtimes.peak_rss import PeakRss
from engine.runtimes.process import die_with_parent
from engine.verify.expected import Expected, judge, reference_for

FLUSH_AFTER_NS = 10_000_000
"""How long a batch of iterations gathers in the worker before it is sent on."""


class Session:
    """The state of one cell inside the worker."""

    def __init__(self, scratch: str) -> None:
        self.runtime: Optional[Runtime] = None
        self.expected: Optional[Expected] = None
        self.scratch = scratch
        """Made and removed by the controller, so a killed worker leaves nothing behind."""
        self.stopped: Optional[CellStopped] = None
        """Why the cell cannot go on, once the runtime said so; no iteration runs after it."""

    def prepare(self, msg: Prepare) -> Prepared:
        job = serial.replace(msg.job, stdout_path=f"{self.scratch}/stdout",
                      stderr_path=f"{self.scratch}/stderr")
        datafiles.ensure_input(job.benchmark, msg.reference.size)
        self.expected = reference_for(msg.reference, job.options.timeout_s)
        self.runtime = runtimes.get(msg.runtime)(job)
        self.runtime.prepare()
        return Prepared(self.runtime.artifact_bytes(), self.runtime.runtime_bytes(),
                        self.expected.source)

    def invoke(self) -> Measured:
        assert self.runtime is not None
        try:
            inv = self.runtime.invoke()
        except CellStopped:
            raise
        except Exception as exc:  # an engine error is this sample's failure, not the worker's
            return self._failed(exc)
        return Measured(inv, self._judge(inv))

    def batch(self, limit: int) -> Batch:
        """At least one and at most ``limit`` iterations, ending with the first that ends
        ``FLUSH_AFTER_NS`` or more after the batch began: served back to back by the runtime
        where it can (``Runtime.serve_many``; each that needs judging ends a run of them),
        else one ``invoke`` at a time."""
        assert self.runtime is not None and self.expected is not None
        batch = Batch()
        began = time.perf_counter_ns()
        left = FLUSH_AFTER_NS
        while len(batch) < limit and left > 0:
            try:
                served = self.runtime.serve_many(limit - len(batch), left,
                                                 self.expected.length == 0)
                if served is None:
                    batch.add(self.invoke())
                else:
                    batch.add_served(served, self._judge(served.last))
            except CellStopped as exc:
                self.stopped = exc
                break
            except Exception as exc:  # as in invoke
                batch.add(self._failed(exc))
            left = FLUSH_AFTER_NS - (time.perf_counter_ns() - began)
        return batch

    def _failed(self, exc: Exception) -> Measured:
        """An engine error: this sample's failure, with the guest's last words if any."""
        inv = Invocation(wall_ns=0, exit_code=None, error=one_line(exc))
        return Measured(inv, self._judge(inv))

    def _judge(self, inv: Invocation) -> bool:
        assert self.runtime is not None and self.expected is not None
        return judge(inv, self.runtime.job, self.expected, self.runtime.stdout_bytes())

    def peak_window(self) -> Optional[PeakRss]:
        return self.runtime.peak_window() if self.runtime is not None else None

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.close()


def _answer(session: Session, msg: Message, proto: BinaryIO) -> None:
    """Carry out one request. Iterations are sent in batches (``Session.batch``), one pipe
    write (and one wake-up of the controller) per batch, not per iteration. A worker killed
    by a cancel, a crash or a timeout loses the iterations of the batch it died in; the
    controller runs them again.

    A runtime serving requests inside this process has its peak RSS read once per batch
    (``Runtime.peak_window``): every iteration of a batch carries the peak of the batch's
    window, an upper bound of its own; when every iteration takes ``FLUSH_AFTER_NS`` or
    longer, each is alone in its batch, so the peak is its own."""
    if isinstance(msg, Prepare):
        _send(proto, session.prepare(msg))
        return
    if not isinstance(msg, Invoke):
        _send(proto, Failed(f"the worker does not take {type(msg).__name__} messages"))
        return
    gc.disable()  # no collector pauses inside samples; a request's garbage is freed at once
    try:
        _stream(session, msg.count, proto)
    finally:
        gc.enable()


def _stream(session: Session, count: int, proto: BinaryIO) -> None:
    window = session.peak_window()
    while count > 0 and session.stopped is None:
        if window is not None:
            window.reset()
        batch = session.batch(count)
        count -= len(batch)
        peak = window.read() if window is not None else None
        if len(batch):
            _send(proto, batch.message(time.monotonic_ns(), peak))
    if session.stopped is not None:
        _send(proto, Stopped(str(session.stopped), session.stopped.recheck))


def _send(proto: BinaryIO, msg: Message) -> None:
    proto.write(encode_message(msg) + b"\n")
    proto.flush()


def main() -> None:
    die_with_parent()
    proto = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the protocol
    session = Session(sys.argv[1])
    try:
        for line in sys.stdin.buffer:
            try:
                msg = decode_message(line)
                if isinstance(msg, Close):
                    break
                _answer(session, msg, proto)
            except Exception as exc:  # reported to the controller, which decides what to do
                _send(proto, Failed(one_line(exc)))
    finally:
        session.close()


if __name__ == "__main__":
    main()
