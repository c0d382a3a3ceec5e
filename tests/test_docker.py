"""Docker against a real engine: verified outputs in both modes, memory, footprint, leftovers,
no engine and an engine that dies mid-run. Nothing comes from a registry: images are built
FROM scratch around the static binaries.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_plan, samples
from docker_support import dockerd, labelled_containers

from engine.cli import main as cli_main
from engine.cli.docker_view import DEFAULT_MIRROR, parse_bytes
from engine.docker_engine import EngineError, connect
from engine.docker_images import LABEL, RUN_LABEL, build_debian_base
from engine.events import CellStarted, Event, RunError, RunFinished, SampleRecorded
from engine.plan import PlanError, make_plan
from engine.runner import Run

SMALL = {"nbody": 1000, "fannkuch-redux": 7, "mandelbrot": 64, "binary-trees": 6,
         "cat-sync": 4096}
ALL = ["nop", "cat-sync", "nbody", "fannkuch-redux", "mandelbrot", "binary-trees"]
LIMIT = 256 << 20


@pytest.fixture(scope="session")
def engine() -> Iterator[str]:
    """An answering engine: the one DOCKER_HOST/context names, else one started like CI does."""
    started = False
    try:
        connect().close()
        host = os.environ.get("DOCKER_HOST", "")
    except EngineError:
        host, started = dockerd("start"), True
    mp = pytest.MonkeyPatch()
    if host:
        mp.setenv("DOCKER_HOST", host)
    yield host
    mp.undo()
    if started:
        dockerd("stop")


def _docker_samples(events: list[Event]) -> list[SampleRecorded]:
    return [s for s in samples(events) if s.runtime == "docker"]


@pytest.mark.parametrize("mode", ["cold", "warm"])
def test_every_benchmark_verified_in_docker(engine: str, mode: str) -> None:
    events = run_plan(["docker"], ALL, iterations=1, modes=[mode], sizes=SMALL,
                      container_memory_bytes=LIMIT)
    rows = _docker_samples(events)
    assert {r.benchmark for r in rows} == set(ALL)
    for row in rows:
        assert row.ok, f"{row.cell_id}: {row.error}"
        assert row.cpu_ns and row.cpu_ns > 0
        expected = {"create", "start", "wait", "logs", "remove"} if mode == "cold" else \
            {"create", "exec", "inspect"}
        assert set(row.phases_ns) == expected
        assert row.wall_ns >= sum(row.phases_ns.values())
        # Cold: the container's cgroup peak, always there. Warm: the program's own peak
        # RSS, which Linux cannot tell for tiny programs (then None, never 0).
        if mode == "cold":
            assert row.peak_rss_bytes is not None
        assert row.peak_rss_bytes is None or 0 < row.peak_rss_bytes <= LIMIT
    footprints = [e.footprint_bytes for e in events if isinstance(e, CellStarted)]
    assert all(f and f > 0 for f in footprints)
    assert labelled_containers(LABEL) == []


def test_image_footprint_is_the_image_size(engine: str) -> None:
    events = run_plan(["docker"], ["nop"], iterations=1)
    started = next(e for e in events if isinstance(e, CellStarted))
    with connect() as client:
        image = client.images(filters={"label": [f"{LABEL}=1", "faasbench.benchmark=nop"]})
    assert started.footprint_bytes in {i["Size"] for i in image}


def test_cancelled_run_leaves_no_containers(engine: str) -> None:
    run = Run(make_plan(["docker"], ["nbody"], iterations=50, modes=["warm"], sizes=SMALL))
    seen: list[Event] = []

    def consume() -> None:
        for event in run.events():
            seen.append(event)
            if isinstance(event, SampleRecorded) and event.iteration == 2:
                threading.Thread(target=run.cancel).start()

    worker = threading.Thread(target=consume)
    worker.start()
    worker.join(120)
    assert not worker.is_alive()
    finished = [e for e in seen if isinstance(e, RunFinished)]
    assert finished and finished[0].cancelled
    assert labelled_containers(f"{RUN_LABEL}={run.run_id}") == []
    assert not list(Path("/sys/fs/cgroup/memory/faasbench").glob(f"{run.run_id}*"))


def test_no_engine_makes_docker_unavailable_only(engine: str,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    events = run_plan(["native", "docker"], ["nop"], iterations=2)
    errors = [e.message for e in events if isinstance(e, RunError)]
    assert any("runtime docker unavailable" in m and f"no Docker engine at unix://{tmp_path}"
               in m and "start dockerd" in m for m in errors), errors
    rows = samples(events)
    assert rows and all(r.runtime == "native" and r.ok for r in rows)


def test_engine_dying_mid_run_fails_only_docker(engine: str, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    directory = tmp_path_factory.mktemp("dockerd2")
    monkeypatch.setenv("DOCKER_HOST", dockerd("start", directory))
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
    assert [r.ok for r in docker_rows[:2]] == [True, True]
    failed = [r for r in docker_rows if not r.ok]
    assert failed and all("Docker engine" in (r.error or "") or "no Docker engine" in
                          (r.error or "") for r in failed), [r.error for r in failed]
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
    with pytest.raises(PlanError, match="pids limit"):
        make_plan(["docker"], ["nop"], pids_limit=0)
    with pytest.raises(PlanError, match="container memory"):
        make_plan(["docker"], ["nop"], container_memory_bytes=1 << 20)
    with pytest.raises(PlanError, match="not an image name"):
        make_plan(["docker"], ["nop"], docker_base="ubuntu 20.04")
    assert parse_bytes("512m") == 512 << 20
    assert parse_bytes("2GiB") == 2 << 30




def test_debian_base_image_runs_the_same_binary(engine: str) -> None:
    """The study's full-distribution case: debootstrap + import (from the Debian archive)."""
    client = connect()
    try:
        base = build_debian_base(client, "bookworm", DEFAULT_MIRROR)
    finally:
        client.close()
    assert base["size_bytes"] > 20 << 20
    events = run_plan(["docker"], ["nop", "cat-sync"], iterations=1, sizes=SMALL,
                      docker_base=base["tag"], modes=["cold", "warm"])
    rows = _docker_samples(events)
    assert len(rows) == 6 and all(r.ok for r in rows), [r.error for r in rows]
    started = [e for e in events if isinstance(e, CellStarted)]
    assert all(e.footprint_bytes >= base["size_bytes"] for e in started)
