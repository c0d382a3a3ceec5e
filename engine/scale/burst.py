"""Burst: R requests from C concurrent clients spread over a pool's warm instances.

Each client takes the next request and a free instance (free instances queue up, so requests
rotate over all of them), sends it, and checks the answer exactly as a run checks a sample
(``engine.verify.expected.judge``: exit status, then the output against the reference).
Latency is the client's: from sending until the answer is checked. Only verified answers are
timed; a failed one is counted with its reason.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Callable, Optional

from engine import serial
from engine.errors import one_line
from engine.runtimes.base import Job
from engine.scale.pools import Pool
from engine.stats.summary import percentile
from engine.store.events import BurstFinished, BurstProgress, Event
from engine.verify.expected import Expected, judge

PROGRESS_EVERY_S = 0.5
ERROR_KINDS = 5
"""How many distinct failure reasons a summary keeps."""


@dataclass(frozen=True)
class Function:
    """What the instances run and what every answer must print."""

    job: Job
    expected: Expected


class _Tally:
    """The clients' shared results."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[int] = []
        self.errors: Counter[str] = Counter()
        self.failed = 0

    @property
    def done(self) -> int:
        return len(self.latencies) + self.failed

    def add(self, latency_ns: int, error: Optional[str]) -> None:
        with self.lock:
            if error is None:
                self.latencies.append(latency_ns)
            else:
                self.failed += 1
                self.errors[error] += 1


def burst(pool: Pool, function: Function, run_id: str, benchmark: str, requests: int,
          concurrency: int, cancelled: Callable[[], bool]) -> Iterator[Event]:
    """Run the burst; yield progress while it runs and its summary at the end."""
    free: queue.Queue[int] = queue.Queue()
    for slot in range(pool.instances):
        free.put(slot)
    numbers = itertools.count()
    take = threading.Lock()
    tally = _Tally()
    timeout = function.job.options.timeout_s

    usable = [pool.instances]
    """Instances still able to serve: one whose request got no answer is not asked again."""

    def take_slot() -> Optional[int]:
        while usable[0] > 0:
            try:
                return free.get(timeout=PROGRESS_EVERY_S)
            except queue.Empty:
                continue
        return None

    def serve(slot: int) -> tuple[Optional[str], bool]:
        """(why it failed or None, whether the instance can serve again)."""
        try:
            reply = pool.request(slot, timeout)
        except Exception as exc:  # the pool's own failure is this request's, said plainly
            return f"request failed: {one_line(exc)}", True
        job = serial.replace(function.job, stdout_path=reply.stdout, stderr_path=reply.stderr)
        try:
            ok = judge(reply.inv, job, function.expected)
        except OSError as exc:  # no output file at all
            return f"no output to check: {one_line(exc)}", not reply.lost
        return (None if ok else reply.inv.error), not reply.lost

    def client() -> None:
        while not cancelled():
            with take:
                if next(numbers) >= requests:
                    return
            slot = take_slot()
            if slot is None:
                tally.add(0, "no instance left to serve it (every one stopped answering)")
                continue
            t0 = time.perf_counter_ns()
            error, reusable = serve(slot)
            latency = time.perf_counter_ns() - t0
            if reusable:
                free.put(slot)
            else:
                with take:
                    usable[0] -= 1
            tally.add(latency, error)

    started = time.monotonic()
    clients = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in clients:
        thread.start()
    while True:
        alive = [thread for thread in clients if thread.is_alive()]
        if not alive:
            break
        alive[0].join(PROGRESS_EVERY_S)
        yield BurstProgress(run_id, pool.runtime, tally.done, requests)
    seconds = time.monotonic() - started
    latencies = sorted(tally.latencies)

    def pct(q: float) -> Optional[float]:
        return percentile(latencies, q) if latencies else None

    yield BurstFinished(run_id, pool.runtime, benchmark, pool.instances, requests, concurrency,
                        len(latencies), tally.failed, round(seconds, 4),
                        len(latencies) / seconds if seconds > 0 else 0.0, pct(50), pct(95),
                        pct(99), dict(tally.errors.most_common(ERROR_KINDS)),
                        cancelled=cancelled())
