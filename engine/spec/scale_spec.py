"""What ``faasbench scale`` brings up: plain data, checked once, light to import (the CLI parses
with it before anything heavy is loaded)."""

from __future__ import annotations

from typing import Any, Optional

from engine import serial
from engine.build.toolchain import BuildFlags
from engine.errors import PlanError
from engine.serial import Record, field
from engine.spec import benchmarks
from engine.spec.options import RunOptions

SCALE_RUNTIMES = ("wasmtime", "wasmer", "node", "docker")
"""The runtimes with a pool of warm instances (``engine.scale.pools``)."""
MAX_INSTANCES = 100_000
MAX_REQUESTS = 10_000_000
MAX_CONCURRENCY = 1024
DEFAULT_REQUESTS = 1000
DEFAULT_CONCURRENCY = 4


def _in_range(value: int, what: str, low: int, high: int) -> None:
    if not low <= value <= high:
        raise PlanError(f"{what} must be between {low} and {high}, got {value}")


class ScaleSpec(Record):
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
    flags: BuildFlags = field(default_factory=BuildFlags)

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
        return serial.to_builtins(self)  # type: ignore[no-any-return]

    def to_json(self) -> str:
        return serial.encode(self).decode()

    @classmethod
    def from_json(cls, text: str) -> ScaleSpec:
        """A spec from its JSON form (``faasbench scale --spec``), checked; PlanError if not."""
        try:
            spec = serial.decode(text, cls)
        except serial.SerialError as exc:
            raise PlanError(f"not a valid scale spec: {exc}") from None
        spec.check()
        return spec


