"""What each part of the warm wasmtime path is worth (the ablation behind its defaults).

Every ``Tuning`` of ``WasmtimeEmbedder`` serves the same warm nop requests through the runtime, as
a worker asks for them (``serve_many`` where the server can, else ``invoke``), pinned to one core
like the worker. The configurations take turns in batches, so noise on a shared machine hits
them alike; each line gives the median over all its requests and the spread of the per-round
medians.

    python -m engine.runtimes.wasmtime.ablation [ROUNDS] [BATCH]    (default 10 rounds of 500)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from collections.abc import Sequence

from engine.build import artifacts, datafiles
from engine.build.toolchain import BuildFlags
from engine.measure.worker import FLUSH_AFTER_NS
from engine.runtimes.base import Job
from engine.runtimes.wasmtime.runtime import Tuning, WasmtimeEmbedder, WasmtimeRuntime
from engine.spec.benchmarks import GUEST_DIR
from engine.spec.options import RunOptions

CONFIGURATIONS = {
    "on-demand allocator, linker.instantiate, object API": Tuning(
        instance_pre=False, pooling=False, calls="objects"),
    "+ InstancePre": Tuning(pooling=False, calls="objects"),
    "+ pooling allocator": Tuning(calls="objects"),
    "  (the same, copy-on-write memory init off)": Tuning(memory_init_cow=False,
                                                          calls="objects"),
    "+ lean C-API requests, typed ctypes calls": Tuning(calls="typed"),
    "+ untyped ctypes calls": Tuning(calls="untyped"),
    "+ requests served by a loop in C (the default)": Tuning(),
    "  (the default without the pooling allocator)": Tuning(pooling=False),
}
WARM_UP = 200


def runtime_with(tuning: Tuning, job: Job) -> WasmtimeRuntime:
    """A prepared warm wasmtime runtime whose embedder uses ``tuning``."""
    runtime = WasmtimeRuntime(job)
    runtime.embedder_class = type("TunedHost", (WasmtimeEmbedder,), {"tuning": tuning})
    runtime.prepare()
    return runtime


def requests(runtime: WasmtimeRuntime, count: int, label: str) -> list[int]:
    """``count`` requests' wall times as a worker takes them: back to back where the server
    serves them so (``serve_many``), else one ``invoke`` each. A failed request stops it."""
    walls: list[int] = []
    while len(walls) < count:
        served = runtime.serve_many(count - len(walls), FLUSH_AFTER_NS, silent=True)
        last = served.last if served is not None else runtime.invoke()
        if last.error is not None or last.exit_code != 0:
            raise SystemExit(f"{label}: a request failed: {last.error}")
        walls += [*(served.clean["wall_ns"] if served is not None else []), last.wall_ns]
    return walls


def measure(rounds: int, batch: int) -> dict[str, list[int]]:
    """Wall times (ns) of every configuration's warm nop requests, taken in turns."""
    wasm = artifacts.artifact_for("nop", "wasm", BuildFlags())
    if not wasm.path.exists():
        raise SystemExit("the nop module is not built yet: run `faasbench build` first")
    host_dir = str(datafiles.ensure_input("nop", 0))
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.access("/dev/shm", os.W_OK)
                                     else None) as scratch:
        runtimes = {}
        for index, (label, tuning) in enumerate(CONFIGURATIONS.items()):
            job = Job("nop", str(wasm.path), ["nop"], host_dir, GUEST_DIR, "warm", "ablation",
                      RunOptions(), f"{scratch}/out{index}", f"{scratch}/err{index}")
            runtimes[label] = runtime_with(tuning, job)
            requests(runtimes[label], WARM_UP, label)
        walls: dict[str, list[int]] = {label: [] for label in runtimes}
        try:
            for _ in range(rounds):
                for label, runtime in runtimes.items():
                    walls[label] += requests(runtime, batch, label)
        finally:
            for runtime in runtimes.values():
                runtime.close()
    return walls


def main(argv: Sequence[str]) -> None:
    rounds = int(argv[0]) if argv else 10
    batch = int(argv[1]) if len(argv) > 1 else 500
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[-1]})
    for label, walls in measure(rounds, batch).items():
        per_round = [statistics.median(walls[i * batch:(i + 1) * batch]) / 1e3
                     for i in range(rounds)]
        print(f"{label:50s} median {statistics.median(walls) / 1e3:7.1f} µs "
              f"(rounds {min(per_round):.1f}..{max(per_round):.1f}, n={len(walls)})")


if __name__ == "__main__":
    main(sys.argv[1:])
