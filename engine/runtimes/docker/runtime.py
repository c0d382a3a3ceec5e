"""``docker``: the static native binary in a locally built container image, on a real engine, in
the three start modes (``engine.terms.MODE_MEANINGS``):

- **cold**: a new OS process per iteration, ``docker run --rm`` through the docker CLI, as the
  study timed it. Wall time is the CLI process's, from the launcher's stamps (its spawn to its
  exit, which ``--rm`` makes wait for the removal). CPU time and peak memory are the container's
  cgroup (the program plus runc's init inside it), not the CLI's own. Phases split the wall time
  at the engine's own event stamps (create, start, die, destroy), read from the events API after
  the iteration, outside the measurement.
- **load**: the engine is up and the image present; each iteration loads the function the way
  a FaaS node does on a first request: create, start, wait, logs, remove through the API, each
  timed. CPU time and peak memory from the container's cgroup.
- **warm**: one running container per cell whose PID 1 is the launcher in serve mode
  (c_sources/launcher.c): each request is one byte on a FIFO, the launcher forks the program
  and answers on a second FIFO with the report it writes for native programs. No daemon,
  containerd or runc call per request. CPU time and peak RSS are the launcher's rusage of the
  program, as for native.

Every container is a hardened ``ContainerSpec`` (the API's and the CLI's alike), pinned to the
worker's core like a native program and labelled with the run id, so ``cleanup`` removes it even
after the worker was killed. The warm container has one writable place: the worker's own I/O
directory (the two FIFOs and the program's stdout and stderr), bind-mounted read-write at
``IO_GUEST``. Cgroup figures come from a cgroup parent faasbench owns (``cgroups``).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

from engine.build.launcher import launcher_path, parse_report, serve_argv
from engine.runtimes.base import Availability, CellStopped, Invocation, Job, Runtime
from engine.runtimes.docker import cgroups
from engine.runtimes.docker.cli_events import cli_env, cli_phases, event_stamps
from engine.runtimes.docker.container_spec import ContainerSpec
from engine.runtimes.docker.engine_client import (
    CLI_FIX,
    ENGINE_FAILED,
    FIX,
    REMOVED_FROM_OUTSIDE,
    EngineError,
    connect,
    describe_error,
    docker_cli,
    engine_address,
    engine_bytes,
    engine_failed,
    engine_version,
    is_local,
    stop_if_gone,
)
from engine.runtimes.docker.fifos import LauncherFifos
from engine.runtimes.docker.images import (
    LABEL,
    LAUNCHER_GUEST,
    OWNER_LABEL,
    RUN_LABEL,
    Image,
    ensure_image,
    guest_path,
    remove_containers,
    sweep_containers,
)
from engine.runtimes.process import spawn_and_wait

CGROUP_ROOT = "/faasbench"
IO_GUEST = "/faasbench-io"
SAMPLE_LABEL = "faasbench.sample"
"""Names one cold iteration's container, so its events and a leftover can be found."""
TIMED_OUT = "timed out (container removed after the per-iteration timeout)"
WARM_TIMED_OUT = "timed out (container killed after the per-iteration timeout)"


def _cgroup_of_run(run_id: str) -> str:
    return f"{CGROUP_ROOT}/{run_id}"


def signal_error(number: int) -> str:
    return f"killed by signal {signal.Signals(number).name}"


class DockerRuntime(Runtime):
    """Cold ``docker run`` by the CLI, load through the API, warm through the launcher's FIFOs."""

    name = "docker"
    artifact_target = "native"
    kind = "container"
    has_memory_limit = True
    reply_grace_s = 60.0
    """Engine calls may each wait up to the timeout + 30 s, and a timeout's clean-up
    removes containers through the engine."""

    def __init__(self, job: Job, labels: Optional[dict[str, str]] = None) -> None:
        super().__init__(job)
        self.extra_labels = labels or {}
        """More labels for every container (a scale run's, so its teardown finds them)."""
        self.client: Any = None
        self.image: Optional[Image] = None
        self.cli: Optional[str] = None
        self.container: Optional[str] = None
        self.cgroup: Optional[str] = None
        self.cpuset: Optional[str] = None
        self.fifos: Optional[LauncherFifos] = None
        """The warm container's launcher's request and reply FIFOs."""

    @classmethod
    def available(cls) -> Availability:
        try:
            client = connect()
        except EngineError as exc:
            return Availability(False, reason=str(exc), fix=FIX)
        try:
            version = engine_version(client)
            info = client.info()
        except Exception as exc:  # an engine that answers ping but not version is no engine
            return Availability(False, reason=f"Docker engine at {engine_address()} did not "
                                              f"answer: {describe_error(exc)}", fix=FIX)
        finally:
            client.close()
        return Availability(True, version=version, details={
            "docker_host": engine_address(), "cgroup_driver": info.get("CgroupDriver"),
            "cgroup_version": info.get("CgroupVersion", "1"), "storage": info.get("Driver"),
            "docker_cli": docker_cli() or f"none (cold needs it: {CLI_FIX})"})

    def prepare(self) -> None:
        job = self.job
        if job.mode == "cold":
            self.cli = docker_cli()
            if self.cli is None:
                raise RuntimeError(f"docker CLI not found on PATH: {CLI_FIX}")
        self.client = connect(job.options.timeout_s + 30)
        self.image = ensure_image(self.client, job.benchmark, job.artifact,
                                  job.options.docker_base)
        self.group_id = uuid.uuid4().hex[:8]
        """This runtime's containers: their cgroup parent and their cold samples' labels."""
        measurable = is_local() and self.client.info().get("CgroupDriver") == "cgroupfs"
        self.cgroup = f"{_cgroup_of_run(job.run_id)}/{self.group_id}" if measurable else None
        # The program runs on the worker's core, as a native program (the worker's child) does;
        # the engine's own processes run wherever the kernel puts them.
        self.cpuset = ",".join(map(str, sorted(os.sched_getaffinity(0)))) if is_local() else None
        self.iteration = 0
        if job.mode == "warm":
            self._start_warm()

    def invoke(self) -> Invocation:
        self.iteration += 1
        run = {"cold": self._invoke_cold, "load": self._invoke_load,
               "warm": self._invoke_warm}[self.job.mode]
        try:
            inv = run()
        except CellStopped:
            raise
        except Exception as exc:  # engine trouble is this sample's failure, said plainly
            stop_if_gone(self.client, exc)
            return Invocation(wall_ns=0, exit_code=None, error=self._engine_error(exc))
        if inv.exit_code is None and inv.error and inv.error.startswith(ENGINE_FAILED):
            stop_if_gone(self.client, None)
        return inv

    def _engine_error(self, exc: Exception) -> str:
        if "timed out" in str(exc).lower() or "ReadTimeout" in type(exc).__name__:
            self._recover()
            return TIMED_OUT
        return engine_failed(describe_error(exc))

    def _recover(self, label: Optional[str] = None) -> None:
        """After a failure: remove what still runs (``label``'s containers, else the run's);
        warm mode gets a fresh server, started here, outside any measurement."""
        try:
            remove_containers(self.client, label or f"{RUN_LABEL}={self.job.run_id}")
            self.container = None
            if self.job.mode == "warm":
                self._start_warm()
        except Exception:  # the next iteration reports whatever is still wrong
            pass

    def spec(self, cgroup_parent: Optional[str], command: list[str],
             entrypoint: Optional[str] = None) -> ContainerSpec:
        """A container of this cell: the job's image, limits and data directory, its labels,
        on the worker's core."""
        job, opts = self.job, self.job.options
        assert self.image is not None
        return ContainerSpec(
            self.image.tag, command, (job.host_dir, job.guest_dir),
            opts.container_memory_bytes, opts.pids_limit,
            {LABEL: "1", RUN_LABEL: job.run_id, OWNER_LABEL: job.owner,
             "faasbench.benchmark": job.benchmark, **self.extra_labels},
            entrypoint=entrypoint, cpuset=self.cpuset, cgroup_parent=cgroup_parent)

    def _create(self, spec: ContainerSpec) -> str:
        return self.client.create_container(**spec.api_arguments(self.client))["Id"]

    def _iteration_cgroup(self) -> Optional[str]:
        """A fresh cgroup parent for one cold or load container (no peak to reset), or None."""
        if self.cgroup is None:
            return None
        rel = f"{self.cgroup}/i{self.iteration}"
        cgroups.make(rel)
        return rel

    # Cold: the docker CLI.

    def _invoke_cold(self) -> Invocation:
        """One ``docker run --rm`` by the docker CLI, timed as a process by the launcher."""
        job = self.job
        assert self.cli is not None
        rel = self._iteration_cgroup()
        sample = f"{self.group_id}-{self.iteration}"
        since = time.time()
        spec = self.spec(rel, job.argv[1:]).labelled(**{SAMPLE_LABEL: sample})
        proc = spawn_and_wait(self.cli, ["docker", *spec.run_argv()],
                              stdout_path=job.stdout_path, stderr_path=job.stderr_path,
                              timeout_s=job.options.timeout_s, env=cli_env())
        to_monotonic = time.time_ns() - time.perf_counter_ns()
        if proc.timed_out:
            self._recover(f"{SAMPLE_LABEL}={sample}")
            cgroups.last_figures(rel)
            return Invocation(wall_ns=proc.wall_ns, exit_code=None, error=TIMED_OUT)
        peak, cpu = cgroups.last_figures(rel)
        inv = Invocation(wall_ns=proc.wall_ns, exit_code=proc.exit_code, cpu_ns=cpu,
                         peak_rss_bytes=peak, error=proc.failure())
        try:
            stamps = event_stamps(self.client, f"{SAMPLE_LABEL}={sample}", since)
        except Exception:  # the engine no longer answers: said below if the run failed
            stamps = None
        if stamps is not None:
            inv.phases_ns = cli_phases(proc.started_ns, proc.ended_ns, stamps, to_monotonic)
        if proc.exit_code and (stamps is None or "die" not in stamps):
            # Not the program's status: the CLI failed before any container ran.
            inv.exit_code = None
            status = f"docker run exited with status {proc.exit_code}"
            inv.error = engine_failed(status) if stamps is None else status
        return inv

    # Load: the API, as a FaaS node loads a function.

    def _invoke_load(self) -> Invocation:
        job = self.job
        assert self.image is not None
        rel = self._iteration_cgroup()
        t0 = time.perf_counter_ns()
        cid = self._create(self.spec(rel, job.argv[1:], guest_path(job.benchmark)))
        try:
            t1 = time.perf_counter_ns()
            self.client.start(cid)
            t2 = time.perf_counter_ns()
            status = self.client.wait(cid, timeout=job.options.timeout_s)
            t3 = time.perf_counter_ns()
            self._write_logs(cid)
            t4 = time.perf_counter_ns()
        finally:
            self.client.remove_container(cid, force=True)
        t5 = time.perf_counter_ns()
        peak, cpu = cgroups.last_figures(rel)
        return Invocation(wall_ns=t5 - t0, exit_code=status.get("StatusCode"), cpu_ns=cpu,
                          peak_rss_bytes=peak,
                          phases_ns={"create": t1 - t0, "start": t2 - t1, "wait": t3 - t2,
                                     "logs": t4 - t3, "remove": t5 - t4})

    def _write_logs(self, cid: str) -> None:
        for path, stdout in ((self.job.stdout_path, True), (self.job.stderr_path, False)):
            with open(path, "wb") as out:
                for chunk in self.client.logs(cid, stdout=stdout, stderr=not stdout, stream=True):
                    out.write(chunk)

    # Warm: the launcher serving requests inside the running container.

    def _run_server(self, command: list[str], writable: Optional[dict[str, str]] = None) -> str:
        """Start the warm server: a container whose PID 1 is the launcher with ``command``."""
        if self.cgroup is not None:
            cgroups.make(self.cgroup)
        spec = replace(self.spec(self.cgroup, command, LAUNCHER_GUEST),
                       read_only={str(launcher_path()): LAUNCHER_GUEST}, writable=writable or {})
        cid = self._create(spec)
        self.client.start(cid)
        return cid

    def _io_dir(self) -> Path:
        """The directory shared with the warm container, beside the job's output paths, which
        become links to the program's outputs in it (so the worker's check reads them)."""
        io = Path(self.job.stdout_path).parent / "docker-io"
        if not io.is_dir():
            io.mkdir()
            io.chmod(0o777)  # the guest runs as nobody
            for path, name in ((self.job.stdout_path, "stdout"),
                               (self.job.stderr_path, "stderr")):
                Path(path).unlink(missing_ok=True)
                Path(path).symlink_to(io / name)
        return io

    def _start_warm(self) -> None:
        """Fresh FIFOs, then the server whose launcher opens them."""
        job = self.job
        io = self._io_dir()
        self._close_fifos()
        self.fifos = LauncherFifos(io)
        self.container = self._run_server(
            serve_argv(IO_GUEST, guest_path(job.benchmark), job.argv), {str(io): IO_GUEST})

    def _close_fifos(self) -> None:
        if self.fifos is not None:
            self.fifos.close()
            self.fifos = None

    def _invoke_warm(self) -> Invocation:
        """One request to the launcher: wall time from the request written to the report read;
        phases split it at the launcher's stamps (CLOCK_MONOTONIC is the machine's inside a
        container): dispatch, the program, the reply."""
        if self.container is None or self.fifos is None:
            self._start_warm()
        assert self.fifos is not None
        t0 = time.perf_counter_ns()
        self.fifos.request()
        line = self.fifos.reply(self.job.options.timeout_s)
        t1 = time.perf_counter_ns()
        report = parse_report(line) if line else None
        if report is None:
            error = WARM_TIMED_OUT if line is None else self._host_stopped()
            self._recover()  # kills (force-removes) the server, then starts a fresh one
            return Invocation(wall_ns=t1 - t0, exit_code=None, error=error)
        return Invocation(
            wall_ns=t1 - t0, exit_code=None if report.signal else report.exit_code,
            cpu_ns=report.cpu_ns, peak_rss_bytes=report.peak_rss_bytes,
            error=signal_error(report.signal) if report.signal else None,
            phases_ns={"dispatch": report.start_ns - t0,
                       "program": report.end_ns - report.start_ns, "reply": t1 - report.end_ns})

    def _host_stopped(self) -> str:
        """Why the warm server's launcher stopped answering, from what it logged; CellStopped
        when its container was removed from outside the run, or the engine is gone."""
        try:
            if self.client.inspect_container(self.container)["State"]["Status"] in (
                    "removing", "dead"):
                raise CellStopped(REMOVED_FROM_OUTSIDE)
            logs = self.client.logs(self.container, tail=3).decode(errors="replace")
        except CellStopped:
            raise
        except Exception as exc:
            stop_if_gone(self.client, exc)
            logs = describe_error(exc)
        return f"the warm container's launcher stopped: {' '.join(logs.split()) or 'no output'}"

    def close(self) -> None:
        self._close_fifos()
        try:
            if self.container is not None:
                self.client.remove_container(self.container, force=True)
        finally:
            if self.cgroup is not None:
                cgroups.remove(self.cgroup)
            if self.client is not None:
                self.client.close()

    # Footprint and clean-up.

    def artifact_bytes(self) -> Optional[int]:
        """The function's own image layer(s): the whole image FROM scratch, the image minus its
        base with --docker-base (the base is installed once per host: ``runtime_bytes``)."""
        return self.image.own_bytes if self.image is not None else None

    @classmethod
    def installed_bytes(cls) -> Optional[int]:
        """The engine's binaries (``engine.docker_engine.ENGINE_BINARIES``, each file once)."""
        return engine_bytes()

    def runtime_bytes(self) -> Optional[int]:
        """The engine's binaries, plus this cell's base image, plus for cold the docker CLI it
        runs per request."""
        engine = engine_bytes()
        if engine is None:
            return None
        cli = os.path.getsize(os.path.realpath(self.cli)) if self.cli else 0
        return engine + cli + (self.image.base_bytes if self.image is not None else 0)

    @classmethod
    def cleanup(cls, run_id: str) -> None:
        """Remove this run's containers and cgroups; quiet when the engine is gone."""
        sweep_containers(f"{RUN_LABEL}={run_id}")
        cgroups.remove(_cgroup_of_run(run_id))
