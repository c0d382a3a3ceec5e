"""Docker against a real engine: verified outputs in the three modes (cold through the docker
CLI, load through the API, warm through the launcher's FIFOs) and docker-exec's warm, memory,
footprint, no daemon call per warm request, leftovers (containers and cgroups), no engine, no
docker CLI, an engine that dies mid-run, and the fault programs of test_faults.py in containers.
Nothing comes from a registry: images are built FROM scratch around the static binaries.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import run_plan, samples
from docker_support import dockerd, labelled_containers
from test_faults import (  # noqa: F401  (fixture fault_builds)
    fault_builds_fixture,
    fault_job,
    invoke_once,
    prepare,
)

from engine import runtimes
from engine.build import toolchain
from engine.build.launcher import serve_argv
from engine.measure.measurements import Measured
from engine.measure.protocol import Invoke, Prepared
from engine.measure.run import Run
from engine.measure.worker_link import Worker
from engine.runtimes.docker import cgroups
from engine.runtimes.docker.cli_events import CLI_PHASES
from engine.runtimes.docker.engine_client import CLI_FIX, connect, engine_binaries, engine_bytes
from engine.runtimes.docker.images import (
    LABEL,
    LAUNCHER_GUEST,
    RUN_LABEL,
    guest_path,
)
from engine.runtimes.docker.runtime import CGROUP_ROOT, IO_GUEST, TIMED_OUT, WARM_TIMED_OUT
from engine.spec.options import RunOptions
from engine.spec.plan import make_plan
from engine.store.events import (
    CellFinished,
    CellStarted,
    Event,
    RunError,
    RunFinished,
    RunPlanned,
    SampleRecorded,
)
from engine.terms import PHASES

SMALL = {"nbody": 1000, "fannkuch-redux": 7, "mandelbrot": 64, "binary-trees": 14,
         "cat-sync": 4096}
"""Small sizes; binary-trees allocates a few MiB at depth 14, enough for the kernel to report
a warm program's peak RSS (the other programs live in a few static pages, which Linux 6.2+,
counting RSS per CPU, may report as 0: faasbench then says None)."""
ALL = ["nop", "cat-sync", "nbody", "fannkuch-redux", "mandelbrot", "binary-trees"]
LIMIT = 256 << 20
PHASES_OF = {("docker", "cold"): set(CLI_PHASES),
             ("docker", "load"): {"create", "start", "wait", "logs", "remove"},
             ("docker", "warm"): {"dispatch", "program", "reply"},
             ("docker-exec", "warm"): {"create", "exec", "inspect"}}
CASES = list(PHASES_OF)
"""Every way a Docker sample is taken: docker in its three modes, docker-exec's own warm."""
TRAP = {"cold": (132, "exit code 132"), "load": (132, "exit code 132"),
        "warm": (None, "killed by signal SIGILL")}
"""Cold and load see the container's status (128 + SIGILL, as Docker reports its PID 1);
warm, the launcher that forked the program names the signal, as for native."""


def _docker_samples(events: list[Event], runtime: str = "docker") -> list[SampleRecorded]:
    return [s for s in samples(events) if s.runtime == runtime]


def dockerd_bytes() -> int:
    """The size of the dockerd binary on PATH (packages put it in /usr/sbin)."""
    found = shutil.which("dockerd", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    assert found, "no dockerd here"
    return os.path.getsize(os.path.realpath(found))


@pytest.mark.parametrize(("runtime", "mode"), CASES)
def test_every_benchmark_verified_in_docker(engine: str, runtime: str, mode: str) -> None:
    """Every program's output verified in a container, with its phases (adding up to the wall
    time where they split it), CPU time and peak memory; nothing labelled is left behind."""
    phases = PHASES_OF[(runtime, mode)]
    assert set(PHASES) >= phases
    events = run_plan([runtime], ALL, iterations=1, modes=[mode], sizes=SMALL,
                      options=RunOptions(container_memory_bytes=LIMIT))
    rows = _docker_samples(events, runtime)
    assert sorted(r.benchmark for r in rows if not r.warmup) == sorted(ALL)
    for row in rows:
        assert row.ok, f"{row.cell_id}: {row.error}"
        assert row.cpu_ns and row.cpu_ns > 0
        assert set(row.phases_ns) == phases
        if (runtime, mode) in (("docker", "cold"), ("docker", "warm")):
            assert row.wall_ns == sum(row.phases_ns.values())
        else:
            assert row.wall_ns >= sum(row.phases_ns.values())
        # Cold and load: the container's cgroup peak, always there. Warm: the program's own
        # peak RSS (the launcher's wait4), which Linux cannot tell for programs of a few
        # pages: then None, never 0; binary-trees allocates enough to be reported every time.
        if mode != "warm" or row.benchmark == "binary-trees":
            assert row.peak_rss_bytes is not None, row
        assert row.peak_rss_bytes is None or 0 < row.peak_rss_bytes <= LIMIT
    trees = [r.peak_rss_bytes for r in rows if r.benchmark == "binary-trees"]
    assert trees and all(peak >= 1 << 20 for peak in trees), "depth 14 holds over 1 MiB"
    started = [e for e in events if isinstance(e, CellStarted)]
    assert len(started) == len(ALL)
    for cell in started:
        assert cell.artifact_bytes and cell.artifact_bytes > 0
        assert cell.runtime_bytes and cell.runtime_bytes >= dockerd_bytes()
    assert labelled_containers(LABEL) == []


def engine_actions(runtime: str, iterations: int) -> list[list[str]]:
    """Run a warm nop cell (one warm-up) and return, per container of the run, the actions of
    the engine's events for it (``exec_create: CMD`` shortened to ``exec_create``)."""
    since = time.time() - 1
    events = run_plan([runtime], ["nop"], iterations=iterations, modes=["warm"], warmup=1)
    assert [s.ok for s in samples(events)] == [True] * (iterations + 1)
    run_id = next(e.run_id for e in events if isinstance(e, RunPlanned))
    by_container: dict[str, list[str]] = {}
    with connect() as client:
        for event in client.events(since=f"{since:.9f}", until=f"{time.time():.9f}",
                                   decode=True, filters={"type": "container",
                                                         "label": f"{RUN_LABEL}={run_id}"}):
            by_container.setdefault(event["Actor"]["ID"], []).append(
                event["Action"].split(":")[0])
    return list(by_container.values())


def test_warm_requests_make_no_daemon_calls(engine: str) -> None:
    """The engine's own record: docker's warm cell creates one container and calls the engine
    no more until it removes it (requests go to the launcher inside), while docker-exec makes
    an exec per request (its daemon, containerd and runc path)."""
    [served] = engine_actions("docker", 5)
    assert served[:2] == ["create", "start"] and served[-1] == "destroy"
    assert not [a for a in served if a.startswith("exec_")], served
    [execd] = engine_actions("docker-exec", 5)
    assert execd.count("exec_create") == execd.count("exec_start") == 6, execd


def test_footprint_counts_the_image_and_the_engine(engine: str) -> None:
    """FROM scratch the image is all the function's own; the host side is the engine's
    binaries (dockerd among them), plus the docker CLI for cold, which runs it per request."""
    events = run_plan(["docker"], ["nop"], iterations=1, modes=["cold", "warm"])
    started = {e.mode: e for e in events if isinstance(e, CellStarted)}
    with connect() as client:
        image = client.images(filters={"label": [f"{LABEL}=1", "faasbench.benchmark=nop"]})
    assert started["warm"].artifact_bytes in {i["Size"] for i in image}
    assert started["cold"].artifact_bytes == started["warm"].artifact_bytes
    engine_total = engine_bytes()
    assert engine_total is not None and engine_total >= dockerd_bytes()
    assert {"dockerd", "containerd", "runc"} <= set(engine_binaries())
    assert runtimes.get("docker").installed_bytes() == engine_total  # doctor asks the class
    assert started["warm"].runtime_bytes == engine_total
    cli = shutil.which("docker")
    assert cli is not None
    assert started["cold"].runtime_bytes == engine_total + os.path.getsize(os.path.realpath(cli))
    for cell in started.values():
        assert cell.footprint_bytes == cell.artifact_bytes + cell.runtime_bytes


def test_cold_without_the_docker_cli_says_so(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a PATH that has no docker CLI, the cold cell fails once saying what to install;
    load and warm need only the engine and run."""
    path = [d for d in os.environ["PATH"].split(os.pathsep)
            if d and not os.access(os.path.join(d, "docker"), os.X_OK)]
    monkeypatch.setenv("PATH", os.pathsep.join(path))
    assert shutil.which("docker") is None
    events = run_plan(["docker"], ["nop"], iterations=1, modes=["cold", "load", "warm"])
    errors = [e.message for e in events if isinstance(e, RunError)]
    assert errors == ["docker/nop/cold: preparing failed: RuntimeError: docker CLI not found on "
                      f"PATH: {CLI_FIX}; cell skipped"]
    assert CLI_FIX == "apt-get install docker.io (the CLI) — load and warm need only the engine"
    rows = samples(events)
    assert {r.mode for r in rows} == {"load", "warm"} and all(r.ok for r in rows)


def run_cgroups(run_id: str) -> list[Path]:
    """The run's cgroup directory in every hierarchy mounted here (cgroup v1 or v2)."""
    rel = f"{CGROUP_ROOT.strip('/')}/{run_id}"
    return [point / rel for point, _, _ in cgroups._mounts() if (point / rel).is_dir()]


def test_cancelled_run_leaves_no_containers_and_no_cgroups(engine: str) -> None:
    """While a warm cell runs, its container sits in a cgroup of the run's own, in the
    hierarchy faasbench reads peaks from; a cancel removes the containers and those cgroups."""
    memory_root, _, _ = cgroups.roots()
    assert memory_root is not None, "no memory cgroup hierarchy is mounted"
    assert runtimes.availability("docker").details["cgroup_driver"] == "cgroupfs", \
        "container cgroups are measured only with the cgroupfs driver"
    run = Run(make_plan(["docker"], ["nbody"], iterations=50, modes=["warm"], sizes=SMALL))
    seen: list[Event] = []
    during: list[list[str]] = []
    mine = memory_root / CGROUP_ROOT.strip("/") / run.run_id

    def consume() -> None:
        for event in run.events():
            seen.append(event)
            if isinstance(event, SampleRecorded) and event.iteration == 2:
                # cgroup dir of the run / of the cell / of the warm container (its id)
                during.extend(sorted(str(p.relative_to(mine)) for p in mine.glob("*/*")
                                     if p.is_dir()))
                threading.Thread(target=run.cancel).start()

    worker = threading.Thread(target=consume)
    worker.start()
    worker.join(120)
    assert not worker.is_alive()
    finished = [e for e in seen if isinstance(e, RunFinished)]
    assert finished and finished[0].cancelled
    assert len(during) == 1 and re.fullmatch(r"[0-9a-f]{8}/[0-9a-f]{64}", during[0]), during
    assert labelled_containers(f"{RUN_LABEL}={run.run_id}") == []
    assert run_cgroups(run.run_id) == []


def test_no_engine_makes_docker_unavailable_only(engine: str,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    events = run_plan(["native", "docker"], ["nop"], iterations=2)
    errors = [e.message for e in events if isinstance(e, RunError)]
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"runtime docker unavailable: no Docker engine at "
                                f"unix://{tmp_path}/nothing.sock: ")
    assert errors[0].endswith("— start dockerd (sudo dockerd &), or set DOCKER_HOST; "
                              "its cells are skipped")
    rows = samples(events)
    assert rows and all(r.runtime == "native" and r.ok for r in rows)


def test_engine_dying_mid_run_fails_only_docker(engine: str, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    """The engine stops during a cell: that cell's later samples fail naming the engine, the
    next Docker cell cannot be prepared (one error, no samples), native runs on untouched."""
    directory = tmp_path_factory.mktemp("dockerd2")
    host = dockerd("start", directory)
    monkeypatch.setenv("DOCKER_HOST", host)
    run = Run(make_plan(["docker", "native"], ["nop", "nbody"], iterations=6, sizes=SMALL))
    events: list[Event] = []
    try:
        for event in run.events():
            events.append(event)
            if isinstance(event, SampleRecorded) and event.cell_id == "docker/nop/cold" \
                    and event.iteration == 1:
                dockerd("stop", directory)
    finally:
        dockerd("stop", directory)
    docker_rows = _docker_samples(events)
    assert [r.cell_id for r in docker_rows] == ["docker/nop/cold"] * 6
    assert [r.ok for r in docker_rows] == [True, True, False, False, False, False]
    for row in docker_rows[2:]:
        assert row.error.startswith(f"Docker engine at {host} failed: "), row.error
    errors = [e for e in events if isinstance(e, RunError)]
    assert [e.cell_id for e in errors] == ["docker/nbody/cold"]
    assert errors[0].message.startswith(
        f"docker/nbody/cold: preparing failed: EngineError: no Docker engine at {host}: ")
    assert errors[0].message.endswith("; cell skipped")
    nbody = next(e for e in events if isinstance(e, CellFinished)
                 and e.cell_id == "docker/nbody/cold")
    assert nbody.error and errors[0].message.startswith(f"docker/nbody/cold: {nbody.error}")
    native = [r for r in samples(events) if r.runtime == "native"]
    assert len(native) == 12 and all(r.ok for r in native)
    assert isinstance(events[-1], RunFinished) and not events[-1].cancelled


@pytest.mark.parametrize(("runtime", "mode"), CASES)
def test_trap_kills_the_program_in_its_container(engine, fault_builds, tmp_path, runtime, mode):
    """The native binary dies of SIGILL inside the container (see TRAP for how it is told)."""
    row = invoke_once(runtime, fault_builds[("trap", "native")], tmp_path, mode)
    assert not row.ok
    assert (row.invocation.exit_code, row.invocation.error) == TRAP[mode]
    assert set(row.invocation.phases_ns) == PHASES_OF[(runtime, mode)]


@pytest.mark.parametrize(("runtime", "mode"), CASES)
def test_nonzero_exit_in_a_container_reports_code_and_stderr(engine, fault_builds, tmp_path,
                                                             runtime, mode):
    row = invoke_once(runtime, fault_builds[("exit3", "native")], tmp_path, mode)
    assert not row.ok and row.invocation.exit_code == 3
    assert row.invocation.error == "exit code 3: bad input"


@pytest.mark.parametrize(("runtime", "mode"), CASES)
def test_wrong_output_in_a_container_names_the_line(engine, fault_builds, tmp_path, runtime,
                                                    mode):
    row = invoke_once(runtime, fault_builds[("wrong", "native")], tmp_path, mode)
    assert not row.ok and row.invocation.exit_code == 0
    assert row.invocation.error.startswith(
        "output mismatch at line 2: expected '-0.169087605', got '-0.169087600'")


def commands_in_run(run_id: str) -> list[list[str]]:
    """Per container of the run, the commands of the processes running in it (in full: ps
    would cut them to a terminal's width if the daemon's environment names a terminal)."""
    with connect() as client:
        return [[row[-1] for row in client.top(c["Id"], ps_args="-eww -o pid,args")["Processes"]
                 or []]
                for c in client.containers(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})]


def idle_host(runtime: str) -> list[str]:
    """The processes of a warm host waiting for its next request: the launcher alone."""
    if runtime == "docker-exec":
        return [LAUNCHER_GUEST]
    argv = serve_argv(IO_GUEST, guest_path("nbody"), ["nbody", "1000"])
    return [" ".join([LAUNCHER_GUEST, *argv])]


@pytest.mark.parametrize(("runtime", "mode"), CASES)
def test_timeout_removes_the_container(engine, fault_builds, tmp_path, runtime, mode):
    """A spinning program is stopped at the timeout by the runtime itself (not by the
    controller killing the worker a minute later), and its container is removed: cold and
    load leave none, warm only the fresh host started for the next iteration, idle."""
    left: list[list[list[str]]] = []
    row = invoke_once(runtime, fault_builds[("spin", "native")], tmp_path, mode, timeout_s=1.0,
                      while_up=lambda job: left.append(commands_in_run(job.run_id)))
    assert not row.ok and row.invocation.exit_code is None
    assert row.invocation.error == (WARM_TIMED_OUT if mode == "warm" else TIMED_OUT)
    assert left == [[] if mode != "warm" else [idle_host(runtime)]]


SPIN_WHILE_FLAGGED = r"""
/* nbody 1000's output, unless the data directory holds a file named "spin": then never ends. */
#include <stdio.h>
#include <unistd.h>
int main(void) {
    volatile unsigned long n = 0;
    while (access("/workspace/spin", F_OK) == 0) n++;
    printf("-0.169075164\n-0.169087605\n");
    return 0;
}
"""


def container_ids(run_id: str) -> list[str]:
    with connect() as client:
        return [c["Id"] for c in client.containers(filters={"label": f"{RUN_LABEL}={run_id}"})]


@pytest.mark.parametrize(("runtime", "mode"), CASES)
def test_after_a_timeout_the_next_sample_is_ok(engine, tmp_path, runtime, mode):
    """A program that spins while its data directory holds a flag file times out; with the
    flag gone, the very next sample is ok, warm on a fresh container started in between."""
    source, program = tmp_path / "spin_while_flagged.c", tmp_path / "spin_while_flagged"
    source.write_text(SPIN_WHILE_FLAGGED)
    toolchain.compile_c(source, program, toolchain.BuildFlags().for_target("native"))
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)  # the guest runs as nobody
    (data / "spin").touch()
    job = fault_job(runtime, program, data, mode, timeout_s=5.0)
    worker = Worker(tmp_path / "worker.log")
    try:
        assert isinstance(prepare(worker, runtime, job), Prepared)
        deadline = job.options.timeout_s + runtimes.get(runtime).reply_grace_s
        before = container_ids(job.run_id)
        first = worker.request(Invoke(), deadline)
        (data / "spin").unlink()
        after = container_ids(job.run_id)
        second = worker.request(Invoke(), deadline)
    finally:
        worker.close()
        runtimes.get(runtime).cleanup(job.run_id)
    assert isinstance(first, Measured) and isinstance(second, Measured)
    assert not first.ok and first.invocation.error.startswith("timed out (")
    assert second.ok, second.invocation.error
    assert set(second.invocation.phases_ns) == PHASES_OF[(runtime, mode)]
    if mode == "warm":
        assert len(before) == len(after) == 1 and before != after
    else:
        assert before == after == []
