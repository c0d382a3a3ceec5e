"""The ``wasmer`` runtime for real, under whichever package this Python has: run it under
CPython >= 3.11 for wasmer-sdk and under <= 3.10 for wasmer 1.1.0 + Cranelift (CI runs this
file under 3.9 too). Outputs, phases, and the faults of test_faults.py cold and warm."""

from __future__ import annotations

import sys

import pytest
from conftest import run_plan, samples
from test_faults import (  # noqa: F401  (fault_builds_fixture: the fixture fault_builds)
    assert_broken_cell,
    fault_builds_fixture,
    invoke_once,
    of,
    prepare_broken_wasm,
    run_cell,
)

from engine import runtimes
from engine.build.toolchain import BuildFlags
from engine.measure.protocol import Failed
from engine.spec import benchmarks
from engine.store.events import CellFinished, RunError, SampleRecorded
from engine.terms import PHASES

SMALL = {"nbody": 1000, "fannkuch-redux": 7, "mandelbrot": 64, "binary-trees": 6}
SDK = sys.version_info >= (3, 11)
COLD_PHASES = {"start", "load", "exit"} | ({"sandbox", "run"} if SDK else
                                           {"compile", "instantiate", "execute"})
WARM_PHASES = {"sandbox", "run"} if SDK else {"instantiate", "execute"}
"""The legacy package compiles on first use: its first warm iteration adds ``compile``."""


def test_availability_names_package_version_and_compiler():
    probe = runtimes.availability("wasmer")
    assert probe.ok, probe.reason
    assert probe.details["package"] == ("wasmer-sdk" if SDK else "wasmer")
    assert probe.details["compiler"] == "cranelift"
    assert probe.version == f"{probe.details['package']} {probe.details['package_version']}"


PROFILE = "same-width" if SDK else "study"
"""wasmer 1.1 cannot compile every simd128 instruction our programs use (see below)."""


def test_every_benchmark_verified_in_every_mode(built):
    """Every output verified, with the phases this package really has (all in PHASES)."""
    assert set(PHASES) >= COLD_PHASES | WARM_PHASES | {"compile", "load"}
    events = run_plan(["wasmer"], list(benchmarks.BENCHMARKS), iterations=2, sizes=SMALL,
                      modes=("cold", "load", "warm"), flags=BuildFlags(profile=PROFILE))
    rows = samples(events)
    assert len(rows) == len(benchmarks.BENCHMARKS) * (2 + 3 + 3)  # load, warm: one warm-up
    assert all(r.ok for r in rows), [r.error for r in rows if not r.ok]
    for row in rows:
        phases = set(row.phases_ns) - {"compile"}  # the legacy package compiles on first use
        if row.mode == "cold":
            assert phases == COLD_PHASES - {"compile"}, row
        elif row.mode == "load":
            assert phases == WARM_PHASES | {"load"}, row
        else:
            assert phases == WARM_PHASES, row
        assert "compile" not in row.phases_ns or not SDK
    assert all(r.runtime_version.startswith("wasmer") for r in rows)


@pytest.mark.skipif(SDK, reason="wasmer-sdk runs simd128 modules")
def test_the_legacy_package_is_refused_for_simd_profiles(built):
    events = run_plan(["wasmer"], ["mandelbrot"], iterations=1, sizes=SMALL,
                      flags=BuildFlags(profile="same-width"))
    errors = [e.message for e in events if isinstance(e, RunError)]
    assert len(errors) == 1 and not samples(events)
    assert "F64x2ConvertLowI32x4U" in errors[0] and "use --profile study" in errors[0]


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_trap_is_a_failed_sample(fault_builds, tmp_path, mode):
    row = invoke_once("wasmer", fault_builds[("trap", "wasm")], tmp_path, mode)
    assert not row.ok and row.invocation.exit_code is None
    if SDK:
        assert row.invocation.error.startswith(
            "trap: command execution failed: RuntimeError: unreachable")
    else:
        assert row.invocation.error == "trap: RuntimeError: unreachable"


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_timeout_says_timed_out(fault_builds, mode):
    """Through the controller, as a run has it: every sample of a spinning guest fails as
    timed out, never as a dead worker, and the cell goes on. Cold, the launcher kills the
    fresh host; warm, wasmer-sdk stops the guest itself, while the legacy package cannot, so
    the controller kills the worker and prepares a fresh one for the next iteration."""
    events = run_cell("wasmer", fault_builds[("spin", "wasm")], mode, iterations=2,
                      timeout_s=1.0)
    rows = of(SampleRecorded, events)
    if mode == "cold":
        expected = "timed out (killed after the per-iteration timeout)"
    elif SDK:
        expected = "timed out (stopped by wasmer after the per-iteration timeout)"
    else:
        expected = "timed out: no answer within 3 s, the worker was killed"
    assert [(r.ok, r.error) for r in rows] == [(False, expected)] * 2
    finished = of(CellFinished, events)
    assert len(finished) == 1 and finished[0].error is None and finished[0].summary["n"] == 0
    assert not of(RunError, events)


def test_broken_wasm_fails_to_prepare_with_wasmers_reason(tmp_path):
    reply = prepare_broken_wasm("wasmer", tmp_path)
    assert isinstance(reply, Failed), reply
    if SDK:
        assert reply.error == ("WasmerError: unable to load package `in-memory module `main``: "
                               "unexpected end-of-file (at offset 0xa)")
    else:  # wasmer 1.1.0 only says whether a module validates, not why
        assert reply.error == \
            f"ValueError: {tmp_path / 'broken.wasm'} is not a valid WebAssembly module"


def test_broken_wasm_fails_the_cell_once_without_samples(tmp_path):
    reason = ("unexpected end-of-file (at offset 0xa)" if SDK
              else "is not a valid WebAssembly module")
    assert_broken_cell("wasmer", tmp_path, reason)
