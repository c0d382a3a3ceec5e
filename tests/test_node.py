"""The ``node`` runtime (V8 via Node.js and node:wasi) for real: outputs, phases, faults."""

from __future__ import annotations

import pytest
from conftest import run_plan, samples
from test_faults import fault_builds, invoke_once  # noqa: F401  (fixture used by name)

from engine import benchmarks, runtimes

SMALL = {"nbody": 1000, "fannkuch-redux": 7, "mandelbrot": 64, "binary-trees": 6}

pytestmark = pytest.mark.skipif(not runtimes.probe("node").ok, reason="needs node >= 18")


def test_availability_records_node_and_v8():
    probe = runtimes.probe("node")
    assert probe.version.startswith("v") and probe.details["engine"].startswith("V8 ")


def test_every_benchmark_verified_cold_and_warm(built):
    events = run_plan(["node"], list(benchmarks.BENCHMARKS), iterations=2, sizes=SMALL,
                      modes=("cold", "warm"))
    rows = samples(events)
    assert len(rows) == len(benchmarks.BENCHMARKS) * (2 + 3)
    assert all(r.ok for r in rows), [r.error for r in rows if not r.ok]
    cold = [r for r in rows if r.mode == "cold"]
    warm = [r for r in rows if r.mode == "warm"]
    assert all(set(r.phases_ns) == {"start", "compile", "instantiate", "execute", "exit"}
               for r in cold)
    assert all(r.phases_ns["start"] > 0 and r.phases_ns["exit"] > 0 for r in cold)
    assert all(set(r.phases_ns) == {"instantiate", "execute"} for r in warm)
    assert all(r.peak_rss_bytes and r.cpu_ns is not None for r in rows)


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_trap_is_a_failed_sample_and_the_warning_stays_hidden(fault_builds, tmp_path, mode):  # noqa: F811
    row = invoke_once("node", fault_builds[("trap", "wasm")], tmp_path, mode)
    assert not row["ok"]
    assert row["error"].startswith("trap: RuntimeError: unreachable")
    assert "ExperimentalWarning" not in row["error"]


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_nonzero_exit_reports_code_and_stderr(fault_builds, tmp_path, mode):  # noqa: F811
    row = invoke_once("node", fault_builds[("exit3", "wasm")], tmp_path, mode)
    assert not row["ok"] and row["exit_code"] == 3
    assert "exit code 3" in row["error"] and "bad input" in row["error"]


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_timeout_kills_node(fault_builds, tmp_path, mode):  # noqa: F811
    """Both iterations time out: in warm mode the second runs on a freshly started host."""
    row = invoke_once("node", fault_builds[("spin", "wasm")], tmp_path, mode, timeout_s=1.0)
    assert not row["ok"] and "timed out" in row["error"]


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_broken_wasm_fails_with_reason(tmp_path, mode):
    broken = tmp_path / "broken.wasm"
    broken.write_bytes(b"\0asm\x01\0\0\0garbage")
    if mode == "cold":
        row = invoke_once("node", broken, tmp_path, mode)
        assert not row["ok"] and row["error"].startswith("compile failed: CompileError")
    else:
        with pytest.raises(AssertionError, match=r"did not start: compile failed: CompileError"):
            invoke_once("node", broken, tmp_path, mode)
