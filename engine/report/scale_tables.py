"""A scale run's tables as data (``tables.Table``): density per runtime and step, and each
burst's throughput and latency, from the run's events; the command line and the dashboard's
scale screen render the same."""

from __future__ import annotations

from collections.abc import Sequence

from engine.report.tables import Table
from engine.report.units import fmt_bytes, fmt_ns
from engine.store.events import BurstFinished, Event, ScaleLimit, ScaleStep


def density_table(events: Sequence[Event]) -> Table:
    """Per runtime and step: ready time, memory in all and per instance (and the slope since
    the previous step), instances per GiB; Docker's engine growth beside, not in, the figure."""
    table = Table("density: n warm instances up at once; memory from the kernel (PSS of the "
                  "processes + the containers' cgroups); engine+ = dockerd and containerd's "
                  "growth, not counted",
                  ["runtime", "n", "ready", "memory", "/instance", "marginal", "n/GiB",
                   "engine+"])
    for e in events:
        if isinstance(e, ScaleStep):
            table.rows.append([e.runtime, str(e.instances), f"{e.ready_s:.3g} s",
                               fmt_bytes(e.memory_bytes), fmt_bytes(e.per_instance_bytes),
                               fmt_bytes(e.marginal_bytes), f"{e.instances_per_gib:.0f}",
                               fmt_bytes(e.daemon_delta_bytes)])
        elif isinstance(e, ScaleLimit):
            table.rows.append([e.runtime, f"stop {e.stopped_before or ''}", "", "", "", "", "",
                               e.reason])
    return table


def burst_table(events: Sequence[Event]) -> Table:
    """Per runtime: the burst's throughput, latency percentiles and failures (with why)."""
    bursts = [e for e in events if isinstance(e, BurstFinished)]
    reasons = [f"{e.runtime}: {why} (×{n})" for e in bursts for why, n in e.errors.items()]
    return Table(
        "burst: every response verified; latency of verified responses",
        ["runtime", "n", "R", "C", "req/s", "p50", "p95", "p99", "ok", "failed"],
        [[e.runtime, str(e.instances), str(e.requests), str(e.concurrency),
          f"{e.throughput_rps:.0f}", fmt_ns(e.p50_ns), fmt_ns(e.p95_ns), fmt_ns(e.p99_ns),
          str(e.ok), str(e.failed)] for e in bursts],
        caption="R requests from C concurrent clients over n instances; latency is the "
                "client's, from request to verified answer. Embedded runtimes serve every "
                "request through one pool server process (JSON over a pipe, a thread per "
                "request), so at nop their figures are mostly that path's; Docker's go to each "
                "container's launcher directly" + "".join(f"\n{reason}" for reason in reasons))
