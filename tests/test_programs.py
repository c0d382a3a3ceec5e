"""Every benchmark program on every engine runtime, both modes: outputs verified per sample.

Sizes are small but cover the awkward cases (a mandelbrot width not divisible by 8, a data
file that is not a whole number of 64 KiB chunks).
"""

from __future__ import annotations

import pytest
from conftest import run_plan, samples

from engine.spec.benchmarks import BENCHMARKS
from engine.spec.options import RunOptions
from engine.store.events import CellFinished, CellStarted, RunError
from engine.terms import PHASES

SMALL = {"nbody": 1000, "fannkuch-redux": 7, "mandelbrot": 63, "binary-trees": 6,
         "cat-sync": 65537 * 3}


@pytest.mark.parametrize("mode", ["cold", "warm"])
@pytest.mark.parametrize("runtime", ["native", "wasmtime"])
def test_every_program_verified(built, runtime, mode):
    events = run_plan([runtime], list(BENCHMARKS), iterations=2, modes=[mode], sizes=SMALL)
    assert not [e for e in events if isinstance(e, RunError)]
    rows = samples(events)
    assert len(rows) == len(BENCHMARKS) * (2 + (1 if mode == "warm" else 0))
    failed = [(r.benchmark, r.error) for r in rows if not r.ok]
    assert not failed
    for row in rows:
        assert row.wall_ns > 0 and row.exit_code == 0
        # Linux (6.2+, per-CPU RSS counters) can report a peak of 0 for a tiny static program;
        # that is recorded as None. test_native_peak_rss_is_the_programs_own covers native.
        if runtime != "native":
            assert row.peak_rss_bytes and row.peak_rss_bytes > 0
        assert row.cpu_ns is not None
        assert set(row.phases_ns) <= set(PHASES), "phase names are documented in one place"
    started = [e for e in events if isinstance(e, CellStarted)]
    assert {e.reference for e in started} == {"python reference implementation"}
    finished = [e for e in events if isinstance(e, CellFinished)]
    assert all(e.summary["n"] == 2 and e.summary["failed"] == 0 for e in finished)


def test_wasmtime_phases_and_fuel(built):
    events = run_plan(["wasmtime"], ["nbody"], iterations=2, modes=["cold", "warm"],
                      sizes=SMALL, options=RunOptions(fuel=True))
    rows = [r for r in samples(events) if not r.warmup]
    cold = [r for r in rows if r.mode == "cold"]
    warm = [r for r in rows if r.mode == "warm"]
    assert all(set(r.phases_ns) == {"start", "load", "instantiate", "execute", "teardown", "exit"}
               for r in cold)
    assert all(set(r.phases_ns) == {"instantiate", "execute", "teardown"} for r in warm)
    fuels = {r.fuel for r in rows}
    assert len(fuels) == 1 and next(iter(fuels)) > 1000, "fuel is deterministic per program"
    assert all(r.guest_memory_bytes and r.guest_memory_bytes < 4 << 20 for r in rows)


def test_native_peak_rss_is_the_programs_own(built):
    """Measured from the launcher, not the worker: a small program's peak is far below the
    Python worker's ~20 MiB, and a bigger tree needs more than a smaller one."""
    rows = samples(run_plan(["native"], ["binary-trees"], iterations=1, modes=["cold", "warm"],
                            warmup=0, sizes={"binary-trees": 12}))
    small = rows[0].peak_rss_bytes
    assert small is not None and small < 8 << 20
    big = samples(run_plan(["native"], ["binary-trees"], iterations=1,
                           sizes={"binary-trees": 16}))[0].peak_rss_bytes
    assert big is not None and big > small


def test_large_size_uses_native_reference(built):
    events = run_plan(["wasmtime"], ["fannkuch-redux"], iterations=1, sizes={"fannkuch-redux": 11})
    started = next(e for e in events if isinstance(e, CellStarted))
    assert started.reference.startswith("native build")
    assert all(r.ok for r in samples(events))


def test_unavailable_runtime_is_reported_and_skipped(built, monkeypatch):
    monkeypatch.setattr("engine.runtimes._BUILTIN",
                        {"native": "engine.runtimes.native:NativeRuntime",
                         "wasmtime": "engine.runtimes.no_such_module:Nothing"})
    events = run_plan(["native", "wasmtime"], ["nop"], iterations=1)
    errors = [e for e in events if isinstance(e, RunError)]
    assert len(errors) == 1 and "runtime wasmtime unavailable" in errors[0].message
    assert {r.runtime for r in samples(events)} == {"native"}
