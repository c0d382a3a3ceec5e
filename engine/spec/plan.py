"""What a run will do: cells (runtime x benchmark x mode, each with its size and iterations) and
the settings they share, as plain data that goes to JSON and back unchanged.

All user input is checked here, before anything runs, so a typo costs a one-line error naming
the valid choices rather than a half-finished run. ``make_plan`` (the CLI's flags, the setup
screen) and ``Plan.from_json`` (``faasbench run --plan``, the dashboard's child run) check the
same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from engine import runtimes, serial
from engine.build.toolchain import LIBCS, OPT_LEVELS, PROFILES, BuildFlags
from engine.errors import PlanError
from engine.serial import Record, field
from engine.spec import benchmarks
from engine.spec.options import DEFAULT_MODES, RunOptions, check_count, default_warmup
from engine.terms import MODES, Mode


class Cell(Record):
    """One runtime x benchmark x mode, run for ``warmup + iterations`` iterations."""

    runtime: str
    benchmark: str
    size: int
    mode: Mode
    iterations: int
    warmup: int

    @property
    def cell_id(self) -> str:
        return f"{self.runtime}/{self.benchmark}/{self.mode}"

    def identity(self) -> dict[str, Any]:
        """The fields every event of this cell carries (``events.CellEvent``)."""
        return {"cell_id": self.cell_id, "runtime": self.runtime, "benchmark": self.benchmark,
                "size": self.size, "mode": self.mode}


class Settings(Record):
    """What every cell shares; recorded with the results."""

    preset: str = "quick"
    """The preset the sizes and iterations started from (cells may override them)."""
    flags: BuildFlags = field(default_factory=BuildFlags)
    options: RunOptions = field(default_factory=RunOptions)


class Plan(Record):
    cells: tuple[Cell, ...]
    settings: Settings = field(default_factory=Settings)
    origin: str = "run"
    """Why this plan exists: "run", or "re-run of <cell id>" for the dashboard's re-runs."""

    def to_dict(self) -> dict[str, Any]:
        return serial.to_builtins(self)  # type: ignore[no-any-return]

    def to_json(self) -> str:
        return serial.encode(self).decode()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], check: bool = True) -> Plan:
        """A plan from its JSON form, checked exactly like ``make_plan`` checks its input
        (``check=False`` only reads it: a recorded plan may name runtimes not known here)."""
        try:
            plan = serial.convert(dict(data), cls)
        except serial.SerialError as exc:
            for cell in data.get("cells") or ():  # an unknown mode: say which are valid
                if isinstance(cell, Mapping) and isinstance(cell.get("mode"), str):
                    _pick("mode", [cell["mode"]], MODES)
            raise PlanError(f"not a valid plan: {exc}") from None
        if check:
            plan.check()
        return plan

    @classmethod
    def from_json(cls, text: str) -> Plan:
        try:
            data = serial.parse(text)
        except serial.SerialError as exc:
            raise PlanError(f"the plan is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise PlanError("the plan must be a JSON object with cells and settings")
        return cls.from_dict(data)

    def check(self) -> None:
        """Raise PlanError for the first thing that cannot run as asked."""
        settings = self.settings
        if settings.preset not in benchmarks.PRESETS:
            raise PlanError(f"unknown preset {settings.preset!r}; valid: "
                            f"{', '.join(benchmarks.PRESETS)}")
        if settings.flags.opt_level not in OPT_LEVELS:
            raise PlanError(f"unknown optimisation level {settings.flags.opt_level!r}; valid: "
                            f"{', '.join(OPT_LEVELS)}")
        if settings.flags.libc not in LIBCS:
            raise PlanError(f"unknown C library {settings.flags.libc!r} for the native build; "
                            f"valid: {', '.join(LIBCS)}")
        if settings.flags.profile not in PROFILES:
            raise PlanError(f"unknown build profile {settings.flags.profile!r}; valid: "
                            f"{', '.join(PROFILES)}")
        settings.options.check()
        if not self.cells:
            raise PlanError("the plan has no cells")
        known_runtimes = runtimes.names()
        seen: set[str] = set()
        for cell in self.cells:
            _pick("runtime", [cell.runtime], known_runtimes)
            _pick("mode", [cell.mode], MODES)
            try:
                benchmarks.get(cell.benchmark).check_size(cell.size)
            except ValueError as exc:
                raise PlanError(str(exc)) from None
            check_count(cell.iterations)
            check_count(cell.warmup, "warmup", low=0)
            if cell.cell_id in seen:
                raise PlanError(f"cell {cell.cell_id} appears twice in the plan")
            seen.add(cell.cell_id)


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


def make_plan(runtime_names: Sequence[str], benchmark_names: Sequence[str], *,
              preset: str = "quick", iterations: Union[int, Mapping[str, int], None] = None,
              modes: Sequence[str] = DEFAULT_MODES, sizes: Optional[Mapping[str, int]] = None,
              warmup: Optional[int] = None, flags: Optional[BuildFlags] = None,
              options: Optional[RunOptions] = None, origin: str = "run") -> Plan:
    """Lay out the cells in the order they will run, then check everything.

    ``iterations`` is one count for every cell or a count per benchmark; missing counts and
    sizes come from the preset.
    """
    if preset not in benchmarks.PRESETS:
        raise PlanError(f"unknown preset {preset!r}; valid: {', '.join(benchmarks.PRESETS)}")
    chosen_runtimes = _pick("runtime", runtime_names, runtimes.names())
    chosen_benchmarks = _pick("benchmark", benchmark_names, list(benchmarks.BENCHMARKS))
    chosen_modes = _pick("mode", modes, MODES)

    def count_for(bench_name: str) -> int:
        count = iterations.get(bench_name) if isinstance(iterations, Mapping) else iterations
        return count if count is not None else benchmarks.PRESET_ITERATIONS[preset]

    cells = [Cell(rt, bench_name,
                  (sizes or {}).get(bench_name, benchmarks.BENCHMARKS[bench_name].presets[preset]),
                  mode, count_for(bench_name),
                  warmup if warmup is not None else default_warmup(mode))
             for bench_name in chosen_benchmarks for mode in chosen_modes
             for rt in chosen_runtimes]
    plan = Plan(tuple(cells), Settings(preset, flags or BuildFlags(), options or RunOptions()),
                origin)
    plan.check()
    return plan
