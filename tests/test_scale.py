"""``faasbench scale``: density and bursts on real runtimes and a real Docker engine.

Instances come up, what they cost is the kernel's figure (PSS of real processes, the cgroups'
usage), every burst response is checked, a failing guest is counted as failed, and nothing is
left running afterwards: not after the end, not after Ctrl-C sent to the real command.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from conftest import read_rows
from docker_support import labelled_containers
from test_faults import (  # noqa: F401  (fixture fault_builds)
    NBODY_1000,
    fault_builds_fixture,
    fault_job,
)

from engine.errors import EXIT_BAD_INPUT, PlanError
from engine.runtimes.docker import cgroups
from engine.runtimes.docker.runtime import CGROUP_ROOT
from engine.scale.burst import Function, burst
from engine.scale.density import forecast, step_sizes
from engine.scale.memory import whole_pss
from engine.scale.pools import SCALE_LABEL, PoolError, make_pool, shim_sizes
from engine.scale.scale_run import ScaleRun
from engine.serial import replace
from engine.spec.options import RunOptions
from engine.spec.scale_spec import ScaleSpec
from engine.store.events import BurstFinished, Event, ScaleFinished, ScaleLimit, ScaleStep
from engine.store.history import describe
from engine.verify.expected import reference_for


def _run(spec: ScaleSpec) -> tuple[ScaleRun, list[Event], list[int]]:
    """Run a scale to the end; also the pool servers seen while it ran."""
    scale = ScaleRun(spec)
    events, pids = [], []
    for event in scale.events():
        events.append(event)
        process = getattr(scale._pool, "process", None)
        if process is not None:
            pids.append(process.pid)
    return scale, events, pids


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_wasmtime_instances_come_up_in_one_host_and_go(tmp_path: Path) -> None:
    _scale, events, pids = _run(ScaleSpec(["wasmtime"], instances=12, requests=40,
                                         concurrency=3))
    steps = [e for e in events if isinstance(e, ScaleStep)]
    assert [s.instances for s in steps] == [1, 10, 12]
    for step in steps:
        assert step.processes == 1  # one pool server, one compiled module
        assert step.pss_bytes > 0 and step.rss_bytes >= step.pss_bytes
        assert step.memory_bytes == step.pss_bytes  # no cgroup: the host's PSS is the cost
        assert step.per_instance_bytes == pytest.approx(step.memory_bytes / step.instances)
    assert steps[0].ready_s <= steps[1].ready_s <= steps[2].ready_s
    burst_done = [e for e in events if isinstance(e, BurstFinished)]
    assert len(burst_done) == 1 and burst_done[0].ok == 40 and burst_done[0].failed == 0
    assert burst_done[0].p50_ns is not None and burst_done[0].p50_ns <= burst_done[0].p99_ns
    assert isinstance(events[-1], ScaleFinished) and not events[-1].cancelled
    assert pids and all(_gone(pid) for pid in set(pids))


def test_memory_budget_stops_the_step_up_and_says_where() -> None:
    """A 30 MiB budget: one wasmtime host already costs most of it, so 10 instances are
    forecast over it; the step-up stops before 10 and the burst runs on what is up."""
    _, events, _ = _run(ScaleSpec(["wasmtime"], instances=100, requests=5,
                                  memory_budget_bytes=30 << 20))
    assert [e.instances for e in events if isinstance(e, ScaleStep)] == [1]
    [limit] = [e for e in events if isinstance(e, ScaleLimit)]
    assert (limit.reached, limit.stopped_before, limit.budget_bytes) == (1, 10, 30 << 20)
    assert "10 instances would need about" in limit.reason
    [done] = [e for e in events if isinstance(e, BurstFinished)]
    assert (done.instances, done.ok) == (1, 5)


def test_docker_containers_count_cgroups_and_shims_and_are_removed(engine: str) -> None:
    scale, events, _ = _run(ScaleSpec(["docker"], instances=3, requests=30, concurrency=2))
    steps = [e for e in events if isinstance(e, ScaleStep)]
    assert [s.instances for s in steps] == [1, 3]
    for step in steps:
        assert step.processes == step.instances  # one containerd shim per container, found
        assert step.cgroup_bytes > 0 and step.pss_bytes > 0
        assert step.memory_bytes == step.pss_bytes + step.cgroup_bytes
    burst_done = [e for e in events if isinstance(e, BurstFinished)]
    assert burst_done and burst_done[0].ok == 30 and burst_done[0].failed == 0
    assert labelled_containers(f"{SCALE_LABEL}={scale.run_id}") == []
    memory_root = cgroups.roots()[0]
    assert memory_root is not None
    assert not list((memory_root / CGROUP_ROOT.strip("/")).glob(f"{scale.run_id}-*"))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another user")
def test_shims_this_user_cannot_read_refuse_the_figure() -> None:
    """A real permission fault: a root process (standing in for a containerd shim) that root
    can read is, to a child that has become ``nobody``, refused with what to do, rather than
    left out of a smaller total; the engine's daemons, one of them unreadable, are "not
    measured" (None), not the readable one's part."""
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        root_owned = psutil.Process(sleeper.pid)
        assert shim_sizes([root_owned])[2] == 1
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            os.close(read)
            outcome = ""
            try:
                os.setresuid(65534, 65534, 65534)
                own = psutil.Process()
                parts = (whole_pss([own, root_owned]), whole_pss([own]) or 0)
                outcome = f"daemons {parts[0]} {parts[1] > 0}; "
                outcome += f"summed {shim_sizes([root_owned])}"
            except PoolError as exc:
                outcome += f"refused: {exc}"
            except BaseException as exc:  # reported to the parent, whose assertion then fails
                outcome = f"{type(exc).__name__}: {exc}"
            os.write(write, outcome.encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            outcome = pipe.read().decode()
        os.waitpid(pid, 0)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert outcome.startswith("daemons None True; refused: 1 of 1 containerd shims could not "
                              "be read"), outcome
    assert "run faasbench scale as root" in outcome


def _fault_burst(runtime: str, artifact: Path, tmp_path: Path, requests: int,
                 instances: int = 2, **options: float) -> BurstFinished:
    """A burst of ``requests`` from two clients over instances of a fault program run as if
    it were nbody 1000, whose Python reference is the check."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    job = replace(fault_job(runtime, artifact, tmp_path, mode="warm", **options),
                  stdout_path=str(scratch / "stdout"), stderr_path=str(scratch / "stderr"))
    pool = make_pool(runtime, job, scratch, 2)
    try:
        pool.start()
        pool.grow(instances, lambda: False)
        function = Function(job, reference_for(NBODY_1000, 30))
        return next(e for e in burst(pool, function, job.run_id, "nbody", requests, 2,
                                     lambda: False) if isinstance(e, BurstFinished))
    finally:
        pool.close()


@pytest.mark.parametrize("runtime,target", [("wasmtime", "wasm"), ("node", "wasm"),
                                            ("docker", "native")])
def test_failing_guest_in_a_burst_is_counted_as_failed(
        engine: str, fault_builds: dict, tmp_path: Path, runtime: str, target: str) -> None:
    """A real program that exits 3 (tests/fault_programs/exit3.c), run as if it were nbody:
    every answer fails the check with its reason and none is timed."""
    done = _fault_burst(runtime, fault_builds[("exit3", target)], tmp_path, requests=6)
    assert (done.ok, done.failed) == (0, 6)
    assert done.p50_ns is None and done.throughput_rps == 0
    assert list(done.errors) == ["exit code 3: bad input"]


def test_wrong_output_in_a_burst_fails_the_check(fault_builds: dict, tmp_path: Path) -> None:
    done = _fault_burst("wasmtime", fault_builds[("wrong", "wasm")], tmp_path, requests=3)
    assert (done.ok, done.failed) == (0, 3)
    assert "output mismatch at line 2" in next(iter(done.errors))


def test_hung_guest_loses_its_instance_not_the_burst(fault_builds: dict, tmp_path: Path) -> None:
    """A guest that never ends (spin.c): its request times out and its instance is not asked
    again (a late answer must not pass for another request's); with none left, the rest of
    the burst fails with that reason instead of waiting forever."""
    done = _fault_burst("wasmtime", fault_builds[("spin", "wasm")], tmp_path, requests=5,
                        instances=1, timeout_s=1.0)
    assert (done.ok, done.failed) == (0, 5)
    assert done.errors == {"timed out (no answer within 1 s)": 1,
                           "no instance left to serve it (every one stopped answering)": 4}


def _wait_for(path: Path, predicate, seconds: float = 120) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = read_rows(path) if path.exists() else []
        if predicate(rows):
            return rows
        time.sleep(0.05)
    raise AssertionError(f"{path} never got there: {rows[-3:]}")


def test_ctrl_c_mid_step_tears_everything_down(engine: str, tmp_path: Path) -> None:
    """SIGINT to the real command while docker steps up to 40: the wasmtime host (already
    done) and every container are gone, and the file ends with a cancelled ScaleFinished."""
    out = tmp_path / "scale.jsonl"
    command = subprocess.Popen(
        [sys.executable, "-m", "faasbench", "scale", "--runtimes", "wasmtime,docker",
         "--instances", "40", "--requests", "0", "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
    try:
        rows = _wait_for(out, lambda rows: any(r.get("runtime") == "docker" and
                                               r.get("instances") == 10 for r in rows))
        run_id = rows[0]["run_id"]
        hosts = [p.pid for p in psutil.Process(command.pid).children(recursive=True)]
        assert labelled_containers(f"{SCALE_LABEL}={run_id}"), "nothing was up to stop"
        command.send_signal(signal.SIGINT)
        assert command.wait(120) == 130, command.stderr.read().decode() if command.stderr else ""
    finally:
        if command.poll() is None:
            command.kill()
    rows = read_rows(out)
    assert rows[-1]["event"] == "scale_finished" and rows[-1]["cancelled"] is True
    listed = describe(out)  # faasbench history lists it
    assert (listed.runtimes, listed.modes, listed.status) == (("wasmtime", "docker"),
                                                             ("scale",), "cancelled")
    assert labelled_containers(f"{SCALE_LABEL}={run_id}") == []
    assert all(_gone(pid) for pid in hosts)


@pytest.mark.fast
def test_steps_and_forecast() -> None:
    assert step_sizes(1) == [1]
    assert step_sizes(200) == [1, 10, 100, 200]
    assert step_sizes(100) == [1, 10, 100]
    assert forecast([], 10) is None
    assert forecast([(1, 100)], 10) == 1000  # the whole host per instance: errs on the safe side
    assert forecast([(1, 100), (10, 190)], 100) == 190 + 19 * 90  # per instance beats slope


@pytest.mark.fast
@pytest.mark.parametrize("spec,words", [
    (ScaleSpec(["native"]), "scale cannot run 'native'"),
    (ScaleSpec([]), "name at least one runtime"),
    (ScaleSpec(["wasmtime"], instances=0), "instances must be between 1"),
    (ScaleSpec(["wasmtime"], requests=-1), "requests must be between 0"),
    (ScaleSpec(["wasmtime"], concurrency=10**9), "concurrency must be between 1"),
    (ScaleSpec(["wasmtime"], benchmark="nope"), "unknown benchmark 'nope'"),
    (ScaleSpec(["wasmtime"], memory_budget_bytes=5), "memory budget must be at least"),
])
def test_bad_scale_input_is_one_clear_error(spec: ScaleSpec, words: str) -> None:
    with pytest.raises(PlanError, match=words):
        spec.check()


@pytest.mark.fast
@pytest.mark.parametrize("argv", [["--runtimes", "native"], ["--instances", "-1"],
                                  ["--memory-budget", "lots"], ["--requests", "1e9"]])
def test_bad_scale_arguments_exit_2(argv: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "faasbench", "scale", *argv],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == EXIT_BAD_INPUT
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert json.dumps(result.stdout) == '""'


def test_a_spec_piped_to_scale_runs_as_given(tmp_path: Path) -> None:
    """``faasbench scale --spec -``, as the dashboard runs it: exactly the spec sent, size and
    options included, recorded in the file's scale_planned line."""
    spec = ScaleSpec(["wasmtime"], "cat-sync", size=4096, instances=3, requests=6,
                     concurrency=2, memory_budget_bytes=1 << 30,
                     options=RunOptions(timeout_s=42.0, wasm_memory_bytes=64 << 20))
    out = tmp_path / "scale.jsonl"
    done = subprocess.run([sys.executable, "-m", "faasbench", "scale", "--spec", "-", "--out",
                           str(out)], input=spec.to_json(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    rows = read_rows(out)
    assert rows[0]["spec"] == spec.to_dict()
    [burst_done] = [r for r in rows if r["event"] == "burst_finished"]
    assert (burst_done["ok"], burst_done["failed"]) == (6, 0)


@pytest.mark.fast
@pytest.mark.parametrize(("argv", "stdin", "words"), [
    (["--spec", "-", "--instances", "3"], "{}", "--spec already says what to bring up; drop "
                                               "--instances"),
    (["--spec", "-"], '{"runtimes": ["wasmtime"], "instances": "many"}',
     "not a valid scale spec: Expected `int`, got `str` - at `$.instances`"),
    (["--spec", "-"], '{"runtimes": ["wasmtime"], "colour": 1}', "unknown field `colour`"),
    (["--spec", "-"], '{"runtimes": ["native"]}', "scale cannot run 'native'"),
    (["--spec", "/nonexistent/spec.json"], "", "cannot read the scale spec"),
])
def test_a_bad_spec_is_one_line_and_exit_2(argv: list[str], stdin: str, words: str) -> None:
    result = subprocess.run([sys.executable, "-m", "faasbench", "scale", *argv], input=stdin,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr, \
        result.stderr
