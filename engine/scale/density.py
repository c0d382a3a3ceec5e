"""Density: step the number of warm instances up (1, 10, 100, ... up to the limit) and record,
per step, the time until all were ready and what they cost the machine (``memory``).

Instances are added to the running pool at each step rather than started afresh, so the
ready time of N is the whole step-up's bring-up time to N (host start and module load
included), without the pauses in between to measure memory. The memory budget is checked
before each step (a forecast from the steps so far: the last step's cost plus its slope, or at
the first step its per-instance cost, which counts the whole server and so errs on the safe
side) and after it (the measured cost); either stops the step-up and says where.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Callable, Optional

from engine.scale.memory import MemoryFigures
from engine.scale.pools import Pool
from engine.store.events import Event, ScaleLimit, ScaleStep

GIB = 1 << 30


def step_sizes(limit: int) -> list[int]:
    """1, 10, 100, ... below ``limit``, then ``limit`` itself."""
    sizes, n = [], 1
    while n < limit:
        sizes.append(n)
        n *= 10
    return [*sizes, limit]


def forecast(points: list[tuple[int, int]], instances: int) -> Optional[float]:
    """Expected cost of ``instances`` from the (instances, bytes) measured so far."""
    if not points:
        return None
    n, used = points[-1]
    if len(points) == 1:
        return used / n * instances
    n0, used0 = points[-2]
    slope = max((used - used0) / (n - n0), used / n)
    return used + slope * (instances - n)


def step_event(run_id: str, pool: Pool, benchmark: str, ready_s: float, step_s: float,
               figures: MemoryFigures, previous: Optional[tuple[int, int]],
               daemons_before: Optional[int]) -> ScaleStep:
    n, total = pool.instances, figures.total_bytes
    per = total / n
    marginal = (total - previous[1]) / (n - previous[0]) if previous else None
    daemon_delta = figures.daemon_pss_bytes - daemons_before \
        if figures.daemon_pss_bytes is not None and daemons_before is not None else None
    return ScaleStep(run_id, pool.runtime, benchmark, n, round(ready_s, 4), round(step_s, 4),
                     total, per, marginal, GIB / per if per > 0 else 0.0, figures.pss_bytes,
                     figures.rss_bytes, figures.cgroup_bytes, figures.processes, pool.what,
                     daemon_delta)


def step_up(pool: Pool, run_id: str, benchmark: str, limit: int, budget: int,
            cancelled: Callable[[], bool]) -> Iterator[Event]:
    """Start the pool, then grow it step by step, yielding a ``ScaleStep`` per step and a
    ``ScaleLimit`` if the budget stops it. PoolError propagates (the caller reports it)."""
    daemons_before = pool.memory().daemon_pss_bytes
    started = time.monotonic()
    pool.start()
    ready_s = time.monotonic() - started
    points: list[tuple[int, int]] = []
    for target in step_sizes(limit):
        expected = forecast(points, target)
        if expected is not None and expected > budget:
            yield ScaleLimit(run_id, pool.runtime, benchmark, pool.instances, target, budget,
                             f"{target} instances would need about {expected / GIB:.2f} GiB, "
                             f"over the {budget / GIB:.2f} GiB budget")
            return
        t0 = time.monotonic()
        pool.grow(target - pool.instances, cancelled)
        step_s = time.monotonic() - t0 + (ready_s if not points else 0.0)
        ready_s += time.monotonic() - t0
        if cancelled():
            return
        figures = pool.memory()
        yield step_event(run_id, pool, benchmark, ready_s, step_s, figures,
                         points[-1] if points else None, daemons_before)
        points.append((pool.instances, figures.total_bytes))
        if figures.total_bytes > budget and target < limit:
            yield ScaleLimit(run_id, pool.runtime, benchmark, pool.instances, None, budget,
                             f"{pool.instances} instances use {figures.total_bytes / GIB:.2f} GiB, "
                             f"over the {budget / GIB:.2f} GiB budget")
            return
