"""The ``node`` runtime (V8 via Node.js and node:wasi) for real: outputs, phases, faults."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest
from conftest import read_rows, run_plan, samples
from test_faults import (  # noqa: F401  (fault_builds_fixture: the fixture fault_builds)
    BROKEN_WASM,
    fault_builds_fixture,
    invoke_once,
    prepare_broken_wasm,
)

from engine import runtimes
from engine.measure.protocol import Failed
from engine.spec import benchmarks
from engine.terms import PHASES

SMALL = {"nbody": 1000, "fannkuch-redux": 7, "mandelbrot": 64, "binary-trees": 6}
COLD_PHASES = {"start", "compile", "instantiate", "execute", "exit"}
WARM_PHASES = {"instantiate", "execute"}
COMPILE_ERROR = "compile failed: CompileError: WebAssembly.compile(): "

pytestmark = pytest.mark.skipif(not runtimes.availability("node").ok, reason="needs node >= 18")


def test_availability_records_node_and_v8():
    probe = runtimes.availability("node")
    assert probe.version.startswith("v") and probe.details["engine"].startswith("V8 ")


def test_every_benchmark_verified_in_every_mode(built):
    """Every output verified; cold samples pay node's start and compile, load ones compile in
    the running node, warm ones do neither."""
    assert set(PHASES) >= COLD_PHASES | WARM_PHASES
    events = run_plan(["node"], list(benchmarks.BENCHMARKS), iterations=2, sizes=SMALL,
                      modes=("cold", "load", "warm"))
    rows = samples(events)
    assert len(rows) == len(benchmarks.BENCHMARKS) * (2 + 3 + 3)
    assert all(r.ok for r in rows), [r.error for r in rows if not r.ok]
    by_mode = {mode: [r for r in rows if r.mode == mode] for mode in ("cold", "load", "warm")}
    assert all(set(r.phases_ns) == COLD_PHASES for r in by_mode["cold"])
    assert all(r.phases_ns["start"] > 0 and r.phases_ns["exit"] > 0 for r in by_mode["cold"])
    assert all(set(r.phases_ns) == WARM_PHASES | {"compile"} for r in by_mode["load"])
    assert all(set(r.phases_ns) == WARM_PHASES for r in by_mode["warm"])
    assert all(r.peak_rss_bytes and r.cpu_ns is not None for r in rows)


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_trap_is_a_failed_sample_and_the_warning_stays_hidden(fault_builds, tmp_path, mode):
    """The trap is V8's own words, without node's ExperimentalWarning about WASI."""
    row = invoke_once("node", fault_builds[("trap", "wasm")], tmp_path, mode)
    assert not row.ok and row.invocation.exit_code is None
    assert row.invocation.error == "trap: RuntimeError: unreachable"


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_timeout_kills_node(fault_builds, tmp_path, mode):
    """Both iterations time out: in warm mode the second runs on a freshly started host."""
    row = invoke_once("node", fault_builds[("spin", "wasm")], tmp_path, mode, timeout_s=1.0)
    assert not row.ok and row.invocation.exit_code is None
    assert row.invocation.error == ("timed out (killed after the per-iteration timeout)"
                                    if mode == "cold" else
                                    "timed out (node killed after the per-iteration timeout)")


def test_broken_wasm_fails_every_cold_sample_with_v8s_reason(tmp_path):
    """Cold node compiles in each fresh process, so each sample fails with the reason."""
    broken = tmp_path / "broken.wasm"
    broken.write_bytes(BROKEN_WASM)
    row = invoke_once("node", broken, tmp_path, "cold")
    assert not row.ok and row.invocation.exit_code is None
    assert row.invocation.error.startswith(COMPILE_ERROR)
    assert set(row.invocation.phases_ns) == {"start", "exit"}


def test_broken_wasm_fails_to_start_the_warm_host(tmp_path):
    """Warm node compiles when its host starts: the cell cannot be prepared, and says why."""
    reply = prepare_broken_wasm("node", tmp_path, "warm")
    assert isinstance(reply, Failed), reply
    assert reply.error.startswith(f"RuntimeError: node server did not start: {COMPILE_ERROR}")


def test_a_host_serves_more_requests_than_its_open_file_limit(built, tmp_path):
    """node:wasi keeps each context's preopened directory open (no API closes it, nor does
    garbage collection); the host closes it after each run, so a warm or load cell is not cut
    short after about as many requests as the open-file limit allows descriptors."""
    limit = 128
    out = tmp_path / "r.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "faasbench", "run", "--runtimes", "node", "--benchmarks",
         "cat-sync", "--mode", "load,warm", "--iterations", str(2 * limit), "--json", "--out",
         str(out)], capture_output=True, text=True, timeout=600,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)))
    failed = [r["error"] for r in read_rows(out)
              if r["event"] == "sample_recorded" and not r["ok"]]
    assert not failed, failed[:3]
    assert proc.returncode == 0, proc.stderr
