"""Docker against a real engine: verified outputs in both modes, memory, footprint, leftovers
(containers and cgroups), no engine, an engine that dies mid-run, and the fault programs of
test_faults.py in containers. Nothing comes from a registry: images are built FROM scratch
around the static binaries.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from conftest import run_plan, samples
from docker_support import dockerd, labelled_containers
from test_faults import fault_builds_fixture, invoke_once  # noqa: F401  (fixture fault_builds)

from engine import cgroups, runtimes
from engine.cli import main as cli_main
from engine.docker_engine import connect
from engine.docker_images import (
    DEBIAN_MIRROR,
    LABEL,
    LAUNCHER_GUEST,
    RUN_LABEL,
    build_debian_base,
)
from engine.events import (
    CellFinished,
    CellStarted,
    Event,
    RunError,
    RunFinished,
    SampleRecorded,
)
from engine.options import PlanError, RunOptions, parse_bytes
from engine.plan import make_plan
from engine.protocol import PHASES
from engine.runner import Run
from engine.runtimes.docker import CGROUP_ROOT, TIMED_OUT

SMALL = {"nbody": 1000, "fannkuch-redux": 7, "mandelbrot": 64, "binary-trees": 14,
         "cat-sync": 4096}
"""Small sizes; binary-trees allocates a few MiB at depth 14, enough for the kernel to report
a warm exec's peak RSS (the other programs live in a few static pages, which Linux 6.2+,
counting RSS per CPU, may report as 0: faasbench then says None)."""
ALL = ["nop", "cat-sync", "nbody", "fannkuch-redux", "mandelbrot", "binary-trees"]
LIMIT = 256 << 20
PHASES_OF = {"cold": {"create", "start", "wait", "logs", "remove"},
             "warm": {"create", "exec", "inspect"}}


def _docker_samples(events: list[Event]) -> list[SampleRecorded]:
    return [s for s in samples(events) if s.runtime == "docker"]


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_every_benchmark_verified_in_docker(engine: str, mode: str) -> None:
    """Every program's output verified in a container, with its phases, CPU time and peak
    memory; nothing labelled is left behind."""
    assert set(PHASES) >= PHASES_OF[mode]
    events = run_plan(["docker"], ALL, iterations=1, modes=[mode], sizes=SMALL,
                      options=RunOptions(container_memory_bytes=LIMIT))
    rows = _docker_samples(events)
    assert sorted(r.benchmark for r in rows if not r.warmup) == sorted(ALL)
    for row in rows:
        assert row.ok, f"{row.cell_id}: {row.error}"
        assert row.cpu_ns and row.cpu_ns > 0
        assert set(row.phases_ns) == PHASES_OF[mode]
        assert row.wall_ns >= sum(row.phases_ns.values())
        # Cold: the container's cgroup peak, always there. Warm: the program's own peak RSS
        # (the launcher's wait4), which Linux cannot tell for programs of a few pages: then
        # None, never 0; binary-trees allocates enough to be reported every time.
        if mode == "cold" or row.benchmark == "binary-trees":
            assert row.peak_rss_bytes is not None, row
        assert row.peak_rss_bytes is None or 0 < row.peak_rss_bytes <= LIMIT
    trees = [r.peak_rss_bytes for r in rows if r.benchmark == "binary-trees"]
    assert trees and all(peak >= 1 << 20 for peak in trees), "depth 14 holds over 1 MiB"
    footprints = [e.footprint_bytes for e in events if isinstance(e, CellStarted)]
    assert len(footprints) == len(ALL) and all(f and f > 0 for f in footprints)
    assert labelled_containers(LABEL) == []


def test_image_footprint_is_the_image_size(engine: str) -> None:
    events = run_plan(["docker"], ["nop"], iterations=1)
    started = next(e for e in events if isinstance(e, CellStarted))
    with connect() as client:
        image = client.images(filters={"label": [f"{LABEL}=1", "faasbench.benchmark=nop"]})
    assert started.footprint_bytes in {i["Size"] for i in image}


def run_cgroups(run_id: str) -> list[Path]:
    """The run's cgroup directory in every hierarchy mounted here (cgroup v1 or v2)."""
    rel = f"{CGROUP_ROOT.strip('/')}/{run_id}"
    return [point / rel for point, _, _ in cgroups._mounts() if (point / rel).is_dir()]


def test_cancelled_run_leaves_no_containers_and_no_cgroups(engine: str) -> None:
    """While a warm cell runs, its container sits in a cgroup of the run's own, in the
    hierarchy faasbench reads peaks from; a cancel removes the containers and those cgroups."""
    memory_root, _, _ = cgroups.roots()
    assert memory_root is not None, "no memory cgroup hierarchy is mounted"
    assert runtimes.probe("docker").details["cgroup_driver"] == "cgroupfs", \
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


def test_clean_removes_labelled_leftovers(engine: str) -> None:
    events = run_plan(["docker"], ["nop"], iterations=1)
    assert all(s.ok for s in samples(events))
    with connect() as client:
        image = client.images(filters={"label": "faasbench.benchmark=nop"})[0]["Id"]
        client.create_container(image, labels={LABEL: "1", RUN_LABEL: "leftover"},
                                entrypoint=["/faasbench/nop"])
    assert len(labelled_containers(LABEL)) == 1
    assert cli_main(["clean"]) == 0
    assert labelled_containers(LABEL) == []


def test_limits_are_validated() -> None:
    with pytest.raises(PlanError, match="pids limit must be between 8 and 1000000, got 0"):
        make_plan(["docker"], ["nop"], options=RunOptions(pids_limit=0))
    with pytest.raises(PlanError, match="container memory limit must be between 6 MiB"):
        make_plan(["docker"], ["nop"], options=RunOptions(container_memory_bytes=1 << 20))
    with pytest.raises(PlanError, match="not an image name"):
        make_plan(["docker"], ["nop"], options=RunOptions(docker_base="ubuntu 20.04"))
    assert parse_bytes("512m") == 512 << 20
    assert parse_bytes("2GiB") == 2 << 30
    with pytest.raises(ValueError, match="'lots' is not a size like 512m or 2g"):
        parse_bytes("lots")


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_trap_kills_the_program_in_its_container(engine, fault_builds, tmp_path, mode):
    """The native binary dies of SIGILL inside the container. Cold, Docker reports it as its
    PID 1's exit status 128 + 4; warm, the launcher running the exec names the signal."""
    row = invoke_once("docker", fault_builds[("trap", "native")], tmp_path, mode)
    assert not row.ok
    if mode == "cold":
        assert (row.invocation.exit_code, row.invocation.error) == (132, "exit code 132")
    else:
        assert (row.invocation.exit_code, row.invocation.error) == \
            (None, "killed by signal SIGILL")
    assert set(row.invocation.phases_ns) == PHASES_OF[mode]


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_nonzero_exit_in_a_container_reports_code_and_stderr(engine, fault_builds, tmp_path,
                                                             mode):
    row = invoke_once("docker", fault_builds[("exit3", "native")], tmp_path, mode)
    assert not row.ok and row.invocation.exit_code == 3
    assert row.invocation.error == "exit code 3: bad input"


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_wrong_output_in_a_container_names_the_line(engine, fault_builds, tmp_path, mode):
    row = invoke_once("docker", fault_builds[("wrong", "native")], tmp_path, mode)
    assert not row.ok and row.invocation.exit_code == 0
    assert row.invocation.error.startswith(
        "output mismatch at line 2: expected '-0.169087605', got '-0.169087600'")


def commands_in_run(run_id: str) -> list[list[str]]:
    """Per container of the run, the commands of the processes running in it."""
    with connect() as client:
        return [[row[-1] for row in client.top(c["Id"])["Processes"] or []]
                for c in client.containers(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})]


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_timeout_removes_the_container(engine, fault_builds, tmp_path, mode):
    """A spinning program is stopped at the timeout by the runtime itself (not by the
    controller killing the worker a minute later), and its container is removed: cold leaves
    none, warm only the fresh host started for the next iteration, idle."""
    left: list[list[list[str]]] = []
    row = invoke_once("docker", fault_builds[("spin", "native")], tmp_path, mode, timeout_s=1.0,
                      while_up=lambda job: left.append(commands_in_run(job.run_id)))
    assert not row.ok and row.invocation.exit_code is None
    assert row.invocation.error == TIMED_OUT
    assert left == [[] if mode == "cold" else [[LAUNCHER_GUEST]]]


def test_debian_base_image_runs_the_same_binary(engine: str) -> None:
    """The study's full-distribution case: debootstrap + import (from the Debian archive)."""
    client = connect()
    try:
        base = build_debian_base(client, "bookworm", DEBIAN_MIRROR)
    finally:
        client.close()
    assert base["size_bytes"] > 20 << 20
    events = run_plan(["docker"], ["nop", "cat-sync"], iterations=1, sizes=SMALL,
                      options=RunOptions(docker_base=base["tag"]), modes=["cold", "warm"])
    rows = _docker_samples(events)
    assert len(rows) == 6 and all(r.ok for r in rows), [r.error for r in rows]
    started = [e for e in events if isinstance(e, CellStarted)]
    assert all(e.footprint_bytes >= base["size_bytes"] for e in started)
