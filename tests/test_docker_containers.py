"""The containers faasbench makes, against a real engine: one hardened spec for the docker CLI
and the API alike, limits checked before anything runs, leftovers cleaned by label, and the
study's full-distribution base image (debootstrap)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run_plan, samples
from docker_support import labelled_containers
from test_docker import SMALL, _docker_samples, dockerd_bytes
from test_faults import fault_job

from engine import runtimes
from engine.build import toolchain
from engine.errors import PlanError
from engine.runtimes.docker.engine_client import connect
from engine.runtimes.docker.images import (
    DEBIAN_MIRROR,
    LABEL,
    RUN_LABEL,
    build_debian_base,
    guest_path,
)
from engine.serial import replace
from engine.spec.options import RunOptions, parse_bytes
from engine.spec.plan import make_plan
from engine.store.events import CellStarted, RunError
from faasbench.main import main as cli_main


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


def test_debian_base_image_runs_the_same_binary(engine: str) -> None:
    """The study's full-distribution case: debootstrap + import (from the Debian archive). The
    base image counts on the host's side (installed once), the binary's layer as the function's."""
    client = connect()
    try:
        base = build_debian_base(client, "bookworm", DEBIAN_MIRROR)
    finally:
        client.close()
    assert base["size_bytes"] > 20 << 20
    events = run_plan(["docker"], ["nop", "cat-sync"], iterations=1, sizes=SMALL,
                      options=RunOptions(docker_base=base["tag"]), modes=["cold", "load", "warm"])
    rows = [r for r in _docker_samples(events) if not r.warmup]
    assert len(rows) == 6 and all(r.ok for r in rows), [r.error for r in rows]
    started = [e for e in events if isinstance(e, CellStarted)]
    for cell in started:
        assert 0 < cell.artifact_bytes < 1 << 20, "the binary's layer only"
        assert cell.runtime_bytes >= base["size_bytes"] + dockerd_bytes()

    # A glibc build (dynamic) runs on that base, and is refused FROM scratch with why.
    glibc = toolchain.BuildFlags(libc="glibc")
    events = run_plan(["native", "docker"], ["binary-trees"], iterations=1, sizes=SMALL,
                      flags=glibc, options=RunOptions(docker_base=base["tag"]))
    assert [r.ok for r in samples(events)] == [True, True], [r.error for r in samples(events)]
    events = run_plan(["docker"], ["binary-trees"], iterations=1, sizes=SMALL, flags=glibc)
    errors = [e.message for e in events if isinstance(e, RunError)]
    assert len(errors) == 1 and not samples(events)
    assert "linked dynamically (glibc) and cannot run FROM scratch: give --docker-base" \
        in errors[0]


HARDENING = ("NetworkMode", "ReadonlyRootfs", "CapDrop", "SecurityOpt", "Memory", "MemorySwap",
             "PidsLimit", "Binds", "CgroupParent", "CpusetCpus", "LogConfig")


def test_cold_cli_and_load_api_make_the_same_container(engine: str, built,
                                                       tmp_path: Path) -> None:
    """One ``ContainerSpec`` gives ``docker run``'s flags (cold) and the API's arguments (load
    and warm): they must make one and the same hardened container. Create one each way
    (``docker create`` takes run's flags) and compare."""
    nop = next(a for a in built if a.benchmark == "nop" and a.target == "native")
    job = replace(fault_job("docker", nop.path, tmp_path, "cold"), benchmark="nop", argv=["nop"])
    runtime = runtimes.get("docker")(job)
    runtime.prepare()
    try:
        runtime.iteration = 1
        cgroup = runtime._iteration_cgroup()
        spec = runtime.spec(cgroup, job.argv[1:]).labelled(**{"faasbench.sample": "compare"})
        args = spec.run_argv()
        assert args[:2] == ["run", "--rm"]
        created = subprocess.run([shutil.which("docker"), "create", *args[1:]], check=True,
                                 capture_output=True, text=True).stdout.strip()
        by_api = runtime._create(spec)
        with connect() as client:
            cli, api = client.inspect_container(created), client.inspect_container(by_api)
    finally:
        runtime.close()
        type(runtime).cleanup(job.run_id)
    assert cli["Config"]["User"] == api["Config"]["User"] == "65534:65534"
    assert cli["Config"]["Entrypoint"] == api["Config"]["Entrypoint"] == [guest_path("nop")]
    assert cli["Config"]["Labels"]["faasbench.sample"] == "compare"
    assert cli["Config"]["Labels"] == api["Config"]["Labels"]
    for key in HARDENING:
        assert cli["HostConfig"][key] == api["HostConfig"][key], key
    assert cli["HostConfig"]["ReadonlyRootfs"] and cli["HostConfig"]["CapDrop"] == ["ALL"]
    assert cli["HostConfig"]["NetworkMode"] == "none" and cli["HostConfig"]["CpusetCpus"]
