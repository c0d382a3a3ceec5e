"""What a run will do: validated cells (runtime x benchmark x mode) and the settings they share.

All user input is checked here, before anything runs, so a typo costs a one-line error
naming the valid choices rather than a half-finished run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from . import benchmarks, runtimes
from .toolchain import OPT_LEVELS, BuildFlags

MODES = ("cold", "warm")
MAX_ITERATIONS = 100_000
DEFAULT_TIMEOUT_S = 300.0
DEFAULT_WASM_MEMORY = 2 << 30
DEFAULT_CONTAINER_MEMORY = 2 << 30
"""Fits binary-trees at the paper size (depth 21) with room to spare."""
DEFAULT_PIDS_LIMIT = 64


class PlanError(ValueError):
    """Bad user input; the message says what is wrong and what is valid."""


@dataclass(frozen=True)
class Cell:
    """One runtime x benchmark x mode, run for ``warmup + iterations`` iterations."""

    runtime: str
    benchmark: str
    size: int
    mode: str
    iterations: int
    warmup: int

    @property
    def cell_id(self) -> str:
        return f"{self.runtime}/{self.benchmark}/{self.mode}"


@dataclass(frozen=True)
class Settings:
    """Knobs shared by every cell; all of them are recorded with the results."""

    preset: str = "quick"
    flags: BuildFlags = field(default_factory=BuildFlags)
    fuel: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    wasm_memory_bytes: int = DEFAULT_WASM_MEMORY
    docker_base: Optional[str] = None
    """Base image for Docker (must exist locally); None means FROM scratch."""
    container_memory_bytes: int = DEFAULT_CONTAINER_MEMORY
    pids_limit: int = DEFAULT_PIDS_LIMIT

    def describe(self) -> dict[str, Any]:
        data = asdict(self)
        data["flags"] = self.flags.describe()
        return data


@dataclass(frozen=True)
class Plan:
    cells: tuple[Cell, ...]
    settings: Settings


def _pick(kind: str, names: Sequence[str], valid: Sequence[str]) -> list[str]:
    chosen = [n.strip() for n in names if n.strip()]
    if not chosen:
        raise PlanError(f"no {kind} given; valid: {', '.join(valid)}")
    unknown = [n for n in chosen if n not in valid]
    if unknown:
        names = ", ".join(map(repr, unknown))
        raise PlanError(f"unknown {kind} {names}; valid: {', '.join(valid)}")
    return list(dict.fromkeys(chosen))


def parse_sizes(items: Sequence[str], chosen: Sequence[str]) -> dict[str, int]:
    """``BENCH=N`` overrides, as given on the command line, for benchmarks that will run."""
    sizes: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise PlanError(f"--size {item!r} must look like BENCH=N, e.g. nbody=1000")
        try:
            bench = benchmarks.get(name.strip())
        except ValueError as exc:
            raise PlanError(str(exc)) from None
        try:
            sizes[bench.name] = int(value)
        except ValueError:
            raise PlanError(f"--size {item!r}: {value!r} is not a whole number") from None
        if bench.name not in chosen:
            raise PlanError(f"--size given for {bench.name}, which is not among the benchmarks "
                            f"to run ({', '.join(chosen)}); add it or drop the --size")
    return sizes


def check_iterations(value: int, what: str = "iterations") -> int:
    if not 1 <= value <= MAX_ITERATIONS:
        raise PlanError(f"{what} must be between 1 and {MAX_ITERATIONS}, got {value}")
    return value


def make_plan(runtime_names: Sequence[str], benchmark_names: Sequence[str], *,
              preset: str = "quick", iterations: Optional[int] = None,
              modes: Sequence[str] = ("cold",), sizes: Optional[dict[str, int]] = None,
              warmup: Optional[int] = None, opt_level: str = "O2", native_cpu: str = "native",
              fuel: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S,
              wasm_memory_bytes: int = DEFAULT_WASM_MEMORY, docker_base: Optional[str] = None,
              container_memory_bytes: int = DEFAULT_CONTAINER_MEMORY,
              pids_limit: int = DEFAULT_PIDS_LIMIT) -> Plan:
    """Validate everything and lay out the cells in the order they will run."""
    if preset not in benchmarks.PRESETS:
        raise PlanError(f"unknown preset {preset!r}; valid: {', '.join(benchmarks.PRESETS)}")
    if opt_level not in OPT_LEVELS:
        raise PlanError(f"unknown optimisation level {opt_level!r}; valid: {', '.join(OPT_LEVELS)}")
    if native_cpu not in ("native", "baseline"):
        raise PlanError("native CPU must be 'native' (host CPU) or 'baseline' (portable)")
    if not 0 < timeout_s <= 86_400:
        raise PlanError(f"timeout must be between 0 and 86400 seconds, got {timeout_s}")
    if not 1 << 20 <= wasm_memory_bytes <= 4 << 30:
        raise PlanError("wasm memory limit must be between 1 MiB and 4 GiB")
    if not 6 << 20 <= container_memory_bytes <= 1 << 40:
        raise PlanError("container memory limit must be between 6 MiB (Docker's minimum) and 1 TiB")
    if not 8 <= pids_limit <= 1_000_000:
        raise PlanError(f"pids limit must be between 8 and 1000000, got {pids_limit}")
    if docker_base is not None and (not docker_base or any(c.isspace() for c in docker_base)):
        raise PlanError(f"--docker-base {docker_base!r} is not an image name (e.g. ubuntu:20.04)")
    chosen_runtimes = _pick("runtime", runtime_names, runtimes.names())
    chosen_benchmarks = _pick("benchmark", benchmark_names, list(benchmarks.BENCHMARKS))
    chosen_modes = _pick("mode", modes, MODES)
    count = check_iterations(iterations if iterations is not None
                             else benchmarks.PRESET_ITERATIONS[preset])
    overrides = sizes or {}
    cells = []
    for bench_name in chosen_benchmarks:
        bench = benchmarks.BENCHMARKS[bench_name]
        size = overrides.get(bench_name, bench.presets[preset])
        try:
            bench.check_size(size)
        except ValueError as exc:
            raise PlanError(str(exc)) from None
        for mode in chosen_modes:
            warm_up = warmup if warmup is not None else (1 if mode == "warm" else 0)
            if not 0 <= warm_up <= MAX_ITERATIONS:
                raise PlanError(f"warmup must be between 0 and {MAX_ITERATIONS}, got {warm_up}")
            cells.extend(Cell(rt, bench_name, size, mode, count, warm_up)
                         for rt in chosen_runtimes)
    settings = Settings(preset, BuildFlags(opt_level, native_cpu), fuel, timeout_s,
                        wasm_memory_bytes, docker_base, container_memory_bytes, pids_limit)
    return Plan(tuple(cells), settings)
