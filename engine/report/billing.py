"""Pay-as-you-use: what the measured invocations would be billed, three ways. Pure functions
over a run's samples (``SampleRecorded``); nothing here runs anything.

1. GB-seconds: configured memory x duration, the duration rounded up to the billing granularity
   and at least the minimum billed duration, plus a fee per request (today's FaaS model).
2. CPU time: the CPU time used, plus a fee per request.
3. Fuel: the WebAssembly instructions executed (wasmtime's ``--fuel``), plus a fee per call.

The duration billed is the sample's wall time (the invocation as the mode defines it), its
CPU time and fuel the sample's own. Only measured (not warm-up), verified samples count. The
gap between billed and used is the GB-seconds duration charge for time the function did not
run: for nop, the minimum duration against its measured microseconds.
"""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Optional

import msgspec

from engine import serial
from engine.errors import BadInput
from engine.serial import Record
from engine.store.events import SampleRecorded

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the 3.9 venv
    import tomli as tomllib

MIB = 1 << 20


class PriceModelError(BadInput):
    """A price model file that cannot be read or says something it may not."""


NO_FUEL = "no fuel recorded: only wasmtime counts fuel, and only in runs with --fuel"
NO_CPU = "no CPU time recorded for these samples"


Price = Annotated[float, msgspec.Meta(ge=0)]
"""A figure of a price list: a number, never negative."""


class GbSeconds(Record):
    source: str
    date: str
    usd_per_gb_second: Price
    usd_per_million_requests: Price
    granularity_ms: Price
    minimum_billed_ms: Price
    memory_mb: Price
    minimum_memory_mb: Price


class CpuTime(Record):
    source: str
    date: str
    usd_per_million_cpu_ms: Price
    usd_per_million_requests: Price
    granularity_ms: Price


class Fuel(Record):
    source: str
    date: str
    cycles_per_instruction: Price
    cycles_per_call: Price
    usd_per_trillion_cycles: Price


class PriceModel(Record):
    gb_seconds: GbSeconds
    cpu_time: CpuTime
    fuel: Fuel

    def sources(self) -> list[str]:
        return [f"{name}: {part.source} ({part.date})" for name, part in
                (("GB-seconds", self.gb_seconds), ("CPU time", self.cpu_time),
                 ("fuel", self.fuel))]


def _default_text() -> str:
    return resources.files("engine.report").joinpath("price_model.toml").read_text()


def load_price_model(path: Optional[Path] = None) -> PriceModel:
    """The shipped model, with what ``path`` sets instead (section by section, key by key);
    PriceModelError says what is wrong."""
    data = tomllib.loads(_default_text())
    if path is not None:
        try:
            given = tomllib.loads(Path(path).read_text())
        except OSError as exc:
            raise PriceModelError(f"cannot read the price model {path}: {exc.strerror}") \
                from None
        except tomllib.TOMLDecodeError as exc:
            raise PriceModelError(f"the price model {path} is not valid TOML: {exc}") from None
        for section, values in given.items():
            data[section] = {**data.get(section, {}), **values} if isinstance(values, dict) \
                else values
    try:
        return serial.convert(data, PriceModel)
    except serial.SerialError as exc:
        raise PriceModelError(f"the price model {path or '(shipped)'}: {exc}") from None


def billed_ms(used_ms: float, plan: GbSeconds) -> float:
    """Duration as billed: rounded up to the granularity, at least the minimum."""
    rounded = math.ceil(used_ms / plan.granularity_ms - 1e-9) * plan.granularity_ms \
        if plan.granularity_ms else used_ms
    return max(rounded, plan.minimum_billed_ms)


def memory_mb(peak_rss_bytes: Optional[int], plan: GbSeconds) -> float:
    """The memory size billed: the configured size, at least the minimum, and at least what
    the function was measured to use (a smaller size could not run it)."""
    used = math.ceil(peak_rss_bytes / MIB) if peak_rss_bytes else 0
    return max(plan.memory_mb, plan.minimum_memory_mb, used)


def gb_seconds_usd(wall_ns: int, memory: float, plan: GbSeconds) -> tuple[float, float]:
    """(billed, used) cost of one invocation: the used figure bills the exact duration."""
    used_ms = wall_ns / 1e6
    gb = memory / 1024
    request = plan.usd_per_million_requests / 1e6
    return (billed_ms(used_ms, plan) / 1000 * gb * plan.usd_per_gb_second + request,
            used_ms / 1000 * gb * plan.usd_per_gb_second + request)


def cpu_usd(cpu_ns: int, plan: CpuTime) -> float:
    cpu_ms = cpu_ns / 1e6
    if plan.granularity_ms:
        cpu_ms = math.ceil(cpu_ms / plan.granularity_ms - 1e-9) * plan.granularity_ms
    return (cpu_ms * plan.usd_per_million_cpu_ms + plan.usd_per_million_requests) / 1e6


def fuel_usd(fuel: int, plan: Fuel) -> float:
    cycles = fuel * plan.cycles_per_instruction + plan.cycles_per_call
    return cycles * plan.usd_per_trillion_cycles / 1e12


@dataclass(frozen=True)
class CostRow:
    """Per runtime, benchmark, size and mode: cost per million invocations, three ways."""

    runtime: str
    benchmark: str
    size: int
    mode: str
    invocations: int
    used_ms: float
    """Median measured duration."""
    billed_ms: float
    """Median billed duration."""
    memory_mb: float
    gb_seconds_per_million: float
    unused_share: float
    """Of the GB-seconds duration charge, the share for time not used (rounding, minimum)."""
    cpu_per_million: Optional[float]
    fuel_per_million: Optional[float]
    cpu_why: str = ""
    fuel_why: str = ""
    """Why a model has no figure ("not measured" and the reason)."""


def measured(events: Iterable[object]) -> list[SampleRecorded]:
    """The samples a bill counts: verified, measured (not warm-up) ones."""
    return [e for e in events if isinstance(e, SampleRecorded) and e.ok and not e.warmup]


def cost_rows(events: Iterable[object], model: PriceModel) -> list[CostRow]:
    """One CostRow per runtime x benchmark x size x mode among the samples."""
    groups: dict[tuple[str, str, int, str], list[SampleRecorded]] = {}
    for sample in measured(events):
        key = (sample.runtime, sample.benchmark, sample.size, sample.mode)
        groups.setdefault(key, []).append(sample)
    return [_cost(key, samples, model) for key, samples in groups.items()]


def _cost(key: tuple[str, str, int, str], samples: list[SampleRecorded],
          model: PriceModel) -> CostRow:
    plan = model.gb_seconds
    peak = max((s.peak_rss_bytes for s in samples if s.peak_rss_bytes), default=None)
    memory = memory_mb(peak, plan)
    billed = [gb_seconds_usd(s.wall_ns, memory, plan) for s in samples]
    request = plan.usd_per_million_requests / 1e6
    billed_duration = sum(b - request for b, _ in billed)
    used_duration = sum(u - request for _, u in billed)
    n = len(samples)
    cpu = [s.cpu_ns for s in samples if s.cpu_ns is not None]
    fuel = [s.fuel for s in samples if s.fuel is not None]
    return CostRow(
        *key, invocations=n,
        used_ms=statistics.median([s.wall_ns / 1e6 for s in samples]),
        billed_ms=statistics.median([billed_ms(s.wall_ns / 1e6, plan) for s in samples]),
        memory_mb=memory,
        gb_seconds_per_million=sum(b for b, _ in billed) / n * 1e6,
        unused_share=1 - used_duration / billed_duration if billed_duration else 0.0,
        cpu_per_million=sum(cpu_usd(c, model.cpu_time) for c in cpu) / len(cpu) * 1e6
        if len(cpu) == n else None,
        fuel_per_million=sum(fuel_usd(f, model.fuel) for f in fuel) / len(fuel) * 1e6
        if len(fuel) == n else None,
        cpu_why="" if len(cpu) == n else NO_CPU,
        fuel_why="" if len(fuel) == n else NO_FUEL)
