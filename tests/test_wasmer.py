"""The ``wasmer`` runtime for real, under whichever package this Python has (run it under
CPython >= 3.11 for wasmer-sdk and under <= 3.10 for wasmer 1.1.0 + Cranelift)."""

from __future__ import annotations

import sys

import pytest
from conftest import run_plan, samples
from test_faults import fault_builds, invoke_once, prepare_broken_wasm  # noqa: F401  (fixture by name)

from engine import benchmarks, runtimes

SMALL = {"nbody": 1000, "fannkuch-redux": 7, "mandelbrot": 64, "binary-trees": 6}
SDK = sys.version_info >= (3, 11)


def test_availability_names_package_version_and_compiler():
    probe = runtimes.probe("wasmer")
    assert probe.ok, probe.reason
    assert probe.details["package"] == ("wasmer-sdk" if SDK else "wasmer")
    assert probe.details["compiler"] == "cranelift"
    assert probe.version == f"{probe.details['package']} {probe.details['package_version']}"


def test_every_benchmark_verified_cold_and_warm(built):
    events = run_plan(["wasmer"], list(benchmarks.BENCHMARKS), iterations=2, sizes=SMALL,
                      modes=("cold", "warm"))
    rows = samples(events)
    assert len(rows) == len(benchmarks.BENCHMARKS) * (2 + 3)  # warm cells add one warmup
    assert all(r.ok for r in rows), [r.error for r in rows if not r.ok]
    cold = next(r for r in rows if r.mode == "cold" and r.benchmark == "nbody")
    assert {"start", "load", "exit"} <= set(cold.phases_ns)
    assert ({"sandbox", "run"} if SDK else {"compile", "instantiate", "execute"}) \
        <= set(cold.phases_ns)
    assert all(r.runtime_version.startswith("wasmer") for r in rows)


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_trap_is_a_failed_sample(fault_builds, tmp_path, mode):  # noqa: F811
    row = invoke_once("wasmer", fault_builds[("trap", "wasm")], tmp_path, mode)
    assert not row["ok"]
    assert row["error"].startswith("trap") and "unreachable" in row["error"]


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_nonzero_exit_reports_code(fault_builds, tmp_path, mode):  # noqa: F811
    row = invoke_once("wasmer", fault_builds[("exit3", "wasm")], tmp_path, mode)
    assert not row["ok"] and row["exit_code"] == 3
    assert "exit code 3" in row["error"] and "bad input" in row["error"]


def test_broken_wasm_fails_to_prepare_with_reason(tmp_path):
    reply = prepare_broken_wasm("wasmer", tmp_path)
    assert not reply["ok"]
    assert "garbage" in reply["error"] or "end-of-file" in reply["error"] \
        or "not a valid WebAssembly module" in reply["error"]
