"""The command line: bad input exits 2 with one line, doctor lists runtimes, results files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import read_rows
from tui_support import RECORDED

from engine.spec import benchmarks
from engine.spec.plan import make_plan

BAD_INPUT_TIMEOUT_S = 60
"""Bad input is rejected before anything runs; a check that let it through would start the
default run (native and wasmtime on every benchmark), and the timeout says so instead."""


def faasbench(*args: str, timeout: float = 300,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "faasbench", *args], capture_output=True,
                          text=True, timeout=timeout, input="",
                          env={**os.environ, **(env or {})})


def one_line(proc: subprocess.CompletedProcess) -> str:
    """Exit code 2 and a single line on stderr saying what is wrong."""
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.parametrize(("args", "expected"), [
    (["--runtimes", "nope"], "unknown runtime 'nope'; valid: native"),
    (["--benchmarks", "nbdy"], "unknown benchmark 'nbdy'; valid: nop"),
    (["--preset", "huge"], "unknown preset 'huge'; valid: quick, standard, paper"),
    (["--iterations", "0"], "iterations must be between 1 and 100000, got 0"),
    (["--iterations", "-1"], "iterations must be between 1 and 100000, got -1"),
    (["--iterations", "1000000000"], "between 1 and 100000, got 1000000000"),
    (["--size", "nbody=0"], "size 0 for nbody is out of range"),
    (["--size", "nbody=500000001"], "steps must be between 1 and 500000000"),
    (["--size", "fannkuch-redux=13"], "between 3 and 12"),
    (["--size", "nbody"], "must look like BENCH=N"),
    (["--size", "nbody=ten"], "'ten' is not a whole number"),
    (["--mode", "lukewarm"], "unknown mode 'lukewarm'; valid: cold, load, warm"),
    (["--timeout", "0"], "timeout must be between"),
    (["--wasm-memory", "1k"], "wasm memory limit must be between 1 MiB and 4 GiB"),
    (["--benchmarks", "nop", "--size", "nbody=10"], "--size given for nbody, which is not among"),
    (["--plan", "/nonexistent/plan.json"], "cannot read the plan /nonexistent/plan.json"),
])
def test_bad_input_exits_2_with_one_line(args, expected):
    line = one_line(faasbench("run", *args, timeout=BAD_INPUT_TIMEOUT_S))
    assert line.startswith("faasbench: error: ") and expected in line


def test_a_runtime_that_cannot_run_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """No Docker engine answers: the run is refused with what is wrong and what to do, and
    nothing is built, run or written."""
    out, cache = tmp_path / "results.jsonl", tmp_path / "cache"
    line = one_line(faasbench("run", "--runtimes", "native,docker", "--benchmarks", "nop",
                              "--out", str(out), timeout=BAD_INPUT_TIMEOUT_S,
                              env={"DOCKER_HOST": f"unix://{tmp_path}/nothing.sock",
                                   "FAASBENCH_CACHE_DIR": str(cache)}))
    assert line.startswith(f"faasbench: error: runtime docker unavailable: no Docker engine "
                           f"at unix://{tmp_path}/nothing.sock")
    assert "start dockerd" in line and not out.exists()
    assert not (cache / "artifacts").exists(), "nothing is built"


def test_a_folder_without_host_runs_and_a_local_run_to_resume_are_refused(
        tmp_path: Path) -> None:
    """``report FOLDER`` needs the files of a run on several hosts; ``run --resume`` a local
    copy of a host's run: both say what was given instead, before connecting anywhere; and
    ``--resume`` refuses flags that would reshape the run it continues."""
    line = one_line(faasbench("report", str(tmp_path), timeout=BAD_INPUT_TIMEOUT_S))
    assert f"{tmp_path} holds no run on several hosts" in line
    line = one_line(faasbench("run", "--resume", str(RECORDED), timeout=BAD_INPUT_TIMEOUT_S))
    assert "is not the results of a run on a remote host" in line and "nothing to resume" in line
    line = one_line(faasbench("run", "--resume", str(RECORDED), "--runtimes", "native",
                              timeout=BAD_INPUT_TIMEOUT_S))
    assert line == "faasbench: error: --resume continues a recorded run; drop --runtimes"


@pytest.mark.parametrize(("extra", "dropped"), [
    (["--runtimes", "native"], "--runtimes"),
    (["--timeout", "5", "--iterations", "3"], "--iterations, --timeout"),
])
def test_plan_with_plan_shaping_flags_is_rejected(tmp_path: Path, extra: list[str],
                                                  dropped: str) -> None:
    """``--plan`` says what to run; a flag that would change it is an error, not a choice."""
    plan = tmp_path / "plan.json"
    plan.write_text(make_plan(["native"], ["nop"]).to_json())
    line = one_line(faasbench("run", "--plan", str(plan), *extra, timeout=BAD_INPUT_TIMEOUT_S))
    assert line == f"faasbench: error: --plan already says what to run; drop {dropped}"


@pytest.mark.parametrize(("args", "expected"), [
    (["--container-memory", "lots"],
     "argument --container-memory: 'lots' is not a size like 512m or 2g"),
    (["--iterations", "many"], "argument --iterations: invalid int value: 'many'"),
])
def test_unparsable_values_are_named(args: list[str], expected: str) -> None:
    line = one_line(faasbench("run", *args, timeout=BAD_INPUT_TIMEOUT_S))
    assert line == f"faasbench run: error: {expected} (see faasbench run --help)"


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
    stored = read_rows(out)
    assert streamed == stored
    assert stored[0]["event"] == "run_planned"
    env = stored[0]["environment"]
    assert env["toolchain"]["zig"] and env["runtimes"]["wasmtime"] and env["cpu_model"]
    assert stored[-1]["event"] == "run_finished" and stored[-1]["failed_samples"] == 0
    assert sum(r["event"] == "sample_recorded" for r in stored) == 8


def test_harness_overhead_is_the_cell_beyond_its_samples(built, tmp_path):
    """Each cell's measuring time against the sum of its samples' walls, from a real run; a
    file recorded before cells carried their measuring time has no such figures."""
    out = tmp_path / "r.jsonl"
    run = faasbench("run", "--runtimes", "native,wasmtime", "--benchmarks", "nop", "--mode",
                    "warm", "--iterations", "30", "--json", "--out", str(out))
    assert run.returncode == 0, run.stderr
    rows = read_rows(out)
    document = json.loads(faasbench("report", str(out), "--format", "json").stdout)
    cells = {c["cell_id"]: c for c in document["cells"]}
    for cell_id in ("native/nop/warm", "wasmtime/nop/warm"):
        walls = [r["wall_ns"] for r in rows
                 if r["event"] == "sample_recorded" and r["cell_id"] == cell_id]
        finished = next(r for r in rows
                        if r["event"] == "cell_finished" and r["cell_id"] == cell_id)
        harness = cells[cell_id]["harness"]
        measuring = finished["measure_seconds"] * 1e9
        assert harness["samples"] == len(walls) == 31, "warm-ups count: the harness ran them"
        assert harness["in_samples_ns"] == sum(walls) <= measuring == harness["measuring_ns"]
        assert harness["per_sample_ns"] == pytest.approx((measuring - sum(walls)) / 31)
        median = cells[cell_id]["summary"]["median"]
        assert harness["over_median"] == pytest.approx(measuring / (31 * median))
        assert harness["over_samples"] == pytest.approx(measuring / sum(walls))
    assert "harness overhead" in faasbench("report", str(out)).stdout
    older = RECORDED.parents[1] / "older_results.jsonl"  # before cells had a measuring time
    old = json.loads(faasbench("report", str(older), "--format", "json").stdout)["cells"]
    assert all(c["harness"] is None for c in old)
    assert "harness overhead" not in faasbench("report", str(older)).stdout


def test_build_prints_artifact_table(built):
    """One row per benchmark and target, each naming the artifact it built."""
    proc = faasbench("build", env={"COLUMNS": "400"})
    assert proc.returncode == 0, proc.stderr
    rows = [[cell.strip() for cell in line.split("│")[1:-1]]
            for line in proc.stdout.splitlines() if line.startswith("│")]
    assert sorted((r[0], r[1]) for r in rows) == sorted(
        (b, t) for b in benchmarks.BENCHMARKS for t in ("wasm", "native"))
    assert len(rows) == 2 * 6
    for _bench, target, _size, cached, _seconds, path in rows:
        assert cached in ("yes", "no") and Path(path).is_file(), path
        assert path.endswith(".wasm") == (target == "wasm")
