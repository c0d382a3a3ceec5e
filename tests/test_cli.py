"""The command line: bad input exits 2 with one line, doctor lists runtimes, results files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine.results import read_results


def faasbench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize(("args", "expected"), [
    (["--runtimes", "nope"], "unknown runtime 'nope'; valid: native"),
    (["--benchmarks", "nbdy"], "unknown benchmark 'nbdy'; valid: nop"),
    (["--preset", "huge"], "unknown preset 'huge'; valid: quick, standard, paper"),
    (["--iterations", "0"], "iterations must be between 1 and 100000, got 0"),
    (["--iterations", "-1"], "iterations must be between 1 and 100000, got -1"),
    (["--iterations", "1000000000"], "between 1 and 100000, got 1000000000"),
    (["--size", "nbody=0"], "size 0 for nbody is out of range"),
    (["--size", "fannkuch-redux=13"], "between 3 and 12"),
    (["--size", "nbody"], "must look like BENCH=N"),
    (["--size", "nbody=ten"], "'ten' is not a whole number"),
    (["--mode", "lukewarm"], "unknown mode 'lukewarm'; valid: cold, warm"),
    (["--timeout", "0"], "timeout must be between"),
    (["--benchmarks", "nop", "--size", "nbody=10"], "--size given for nbody, which is not among"),
])
def test_bad_input_exits_2_with_one_line(args, expected):
    proc = faasbench("run", *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]


def test_iterations_must_be_a_number():
    proc = faasbench("run", "--iterations", "many")
    assert proc.returncode == 2 and "invalid int value" in proc.stderr


def test_doctor_json_lists_runtimes():
    proc = faasbench("doctor", "--json")
    assert proc.returncode == 0
    report = json.loads(proc.stdout)
    rows = {r["name"]: r for r in report["runtimes"]}
    assert rows["native"]["ok"] and rows["wasmtime"]["ok"]
    assert rows["wasmtime"]["version"]
    assert report["toolchain"]["ok"]


def test_run_json_streams_events_and_writes_results(built, tmp_path):
    out = tmp_path / "r.jsonl"
    proc = faasbench("run", "--runtimes", "native,wasmtime", "--benchmarks", "nop,nbody",
                     "--iterations", "2", "--size", "nbody=1000", "--json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    streamed = [json.loads(line) for line in proc.stdout.splitlines()]
    stored = read_results(out)
    assert streamed == stored
    assert stored[0]["event"] == "run_planned"
    env = stored[0]["environment"]
    assert env["toolchain"]["zig"] and env["runtimes"]["wasmtime"] and env["cpu_model"]
    assert stored[-1]["event"] == "run_finished" and stored[-1]["failed_samples"] == 0
    assert sum(r["event"] == "sample_recorded" for r in stored) == 8


def test_build_prints_artifact_table(built):
    proc = faasbench("build")
    assert proc.returncode == 0
    assert "nbody" in proc.stdout and "wasm" in proc.stdout and "native" in proc.stdout
