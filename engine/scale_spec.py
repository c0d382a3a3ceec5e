"""What ``faasbench scale`` brings up: plain data, checked once, light to import (the CLI parses
with it before anything heavy is loaded)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from . import benchmarks, toolchain
from .options import PlanError, RunOptions

SCALE_RUNTIMES = ("wasmtime", "wasmer", "node", "docker")
"""The runtimes with a pool of warm instances (``engine.scale_pools``)."""
MAX_INSTANCES = 100_000
MAX_REQUESTS = 10_000_000
MAX_CONCURRENCY = 1024
DEFAULT_REQUESTS = 1000
DEFAULT_CONCURRENCY = 4


def _in_range(value: int, what: str, low: int, high: int) -> None:
    if not low <= value <= high:
        raise PlanError(f"{what} must be between {low} and {high}, got {value}")


@dataclass(frozen=True)
class ScaleSpec:
    """What ``faasbench scale`` brings up; plain data (the results' header records it)."""

    runtimes: list[str]
    benchmark: str = "nop"
    size: Optional[int] = None
    """The benchmark's size (default: its ``quick`` preset)."""
    instances: int = 100
    requests: int = DEFAULT_REQUESTS
    concurrency: int = DEFAULT_CONCURRENCY
    memory_budget_bytes: Optional[int] = None
    """Stop stepping up past this (default: a quarter of the machine's memory)."""
    options: RunOptions = field(default_factory=RunOptions)
    flags: toolchain.BuildFlags = field(default_factory=toolchain.BuildFlags)

    def check(self) -> None:
        """PlanError naming what is wrong and what is valid."""
        if not self.runtimes:
            raise PlanError(f"name at least one runtime: {', '.join(SCALE_RUNTIMES)}")
        for name in self.runtimes:
            if name not in SCALE_RUNTIMES:
                raise PlanError(f"scale cannot run {name!r}: it keeps many warm instances of "
                                f"{', '.join(SCALE_RUNTIMES)} only")
        try:
            bench = benchmarks.get(self.benchmark)
            bench.check_size(self.bench_size)
        except ValueError as exc:
            raise PlanError(str(exc)) from None
        _in_range(self.instances, "instances", 1, MAX_INSTANCES)
        _in_range(self.requests, "requests", 0, MAX_REQUESTS)
        _in_range(self.concurrency, "concurrency", 1, MAX_CONCURRENCY)
        if self.memory_budget_bytes is not None and self.memory_budget_bytes < 1 << 20:
            raise PlanError(f"the memory budget must be at least 1m, got "
                            f"{self.memory_budget_bytes} bytes")
        self.options.check()

    @property
    def bench_size(self) -> int:
        return self.size if self.size is not None else \
            benchmarks.BENCHMARKS[self.benchmark].presets["quick"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


