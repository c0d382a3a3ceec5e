"""``docker`` and ``docker-exec``: the static native binary in a locally built container image,
on a real engine, in the three start modes (engine/options.py):

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

``docker-exec`` is ``docker`` with warm through ``docker exec``, for comparison: the daemon,
containerd and runc's exec path per request (its cold and load are docker's).

Containers are hardened (no network, read-only root, no capabilities, no new privileges,
nobody:nogroup, memory and pids limits, the data directory read-only), pinned to the worker's
core like a native program, and labelled with the run id, so ``cleanup`` removes them even
after the worker was killed. The warm container has one writable place: the worker's own I/O
directory (the two FIFOs and the program's stdout and stderr), bind-mounted read-write at
``IO_GUEST``; the guest can write into that directory only.
Cgroup figures come from a cgroup parent faasbench owns (``engine.cgroups``).
"""

from __future__ import annotations

import math
import os
import select
import signal
import time
import uuid
from pathlib import Path
from typing import Any, Optional

from .. import cgroups
from ..docker_engine import (
    CLI_FIX,
    FIX,
    EngineError,
    connect,
    describe_error,
    docker_cli,
    engine_bytes,
    engine_host,
    engine_version,
    is_local,
)
from ..docker_images import (
    LABEL,
    LAUNCHER_GUEST,
    RUN_LABEL,
    Image,
    ensure_image,
    guest_path,
    remove_containers,
    sweep_containers,
)
from ..launcher import launcher_path, parse_report, serve_argv, split_report
from .base import Availability, Invocation, Runtime
from .process import spawn_and_wait, watchdog

USER = "65534:65534"
CGROUP_ROOT = "/faasbench"
IO_GUEST = "/faasbench-io"
SAMPLE_LABEL = "faasbench.sample"
"""Names one cold iteration's container, so its events and a leftover can be found."""
LOG_OPTIONS = {"max-size": "1g", "compress": "false"}
LOG_CONFIG = {"Type": "local", "Config": LOG_OPTIONS}
"""The ``local`` log driver keeps output bytes exact; ``json-file`` mangles binary output. (The
docker CLI reads output by attaching, which is exact either way; both paths log alike.)"""
CLI_VARIABLES = ("HOME", "DOCKER_CONFIG", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY")
"""The worker's variables the docker CLI is given (its own configuration); DOCKER_HOST is set
to the engine faasbench talks to."""
CLI_EVENTS = ("create", "start", "die", "destroy")
CLI_PHASES = ("cli-create", "cli-start", "cli-run", "cli-remove", "cli-exit")
"""Cold phases: the CLI's spawn, the CLI_EVENTS stamps and the CLI's exit, in this order."""

TIMED_OUT = "timed out (container removed after the per-iteration timeout)"
WARM_TIMED_OUT = "timed out (container killed after the per-iteration timeout)"


def _cgroup_of_run(run_id: str) -> str:
    return f"{CGROUP_ROOT}/{run_id}"


def _signal_error(number: int) -> str:
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client: Any = None
        self.image: Optional[Image] = None
        self.cli: Optional[str] = None
        self.container: Optional[str] = None
        self.cgroup: Optional[str] = None
        self.cpuset: Optional[str] = None
        self.fifos: Optional[tuple[int, int]] = None
        """(request, reply) file descriptors of the warm container's launcher."""

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
            return Availability(False, reason=f"Docker engine at {engine_host()} did not "
                                              f"answer: {describe_error(exc)}", fix=FIX)
        finally:
            client.close()
        return Availability(True, version=version, details={
            "docker_host": engine_host(), "cgroup_driver": info.get("CgroupDriver"),
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
        self.cell = uuid.uuid4().hex[:8]
        self.labels = {LABEL: "1", RUN_LABEL: job.run_id, "faasbench.benchmark": job.benchmark}
        measurable = is_local() and self.client.info().get("CgroupDriver") == "cgroupfs"
        self.cgroup = f"{_cgroup_of_run(job.run_id)}/{self.cell}" if measurable else None
        # The program runs on the worker's core, as a native program (the worker's child) does;
        # the engine's own processes run wherever the host puts them.
        self.cpuset = ",".join(map(str, sorted(os.sched_getaffinity(0)))) if is_local() else None
        self.iteration = 0
        if job.mode == "warm":
            self._start_warm()

    def invoke(self) -> Invocation:
        self.iteration += 1
        run = {"cold": self._invoke_cold, "load": self._invoke_load,
               "warm": self._invoke_warm}[self.job.mode]
        try:
            return run()
        except Exception as exc:  # engine trouble is this sample's failure, said plainly
            return Invocation(wall_ns=0, exit_code=None, error=self._engine_error(exc))

    def _engine_error(self, exc: Exception) -> str:
        if "timed out" in str(exc).lower() or "ReadTimeout" in type(exc).__name__:
            self._recover()
            return TIMED_OUT
        return f"Docker engine at {engine_host()} failed: {describe_error(exc)}"

    def _recover(self, label: Optional[str] = None) -> None:
        """After a failure: remove what still runs (``label``'s containers, else the run's);
        warm mode gets a fresh host, started here, outside any measurement."""
        try:
            remove_containers(self.client, label or f"{RUN_LABEL}={self.job.run_id}")
            self.container = None
            if self.job.mode == "warm":
                self._start_warm()
        except Exception:  # the next iteration reports whatever is still wrong
            pass

    # Containers: one configuration for the API paths; ``_run_args`` says the same to the CLI.

    def _host_config(self, cgroup_parent: Optional[str], ro_binds: dict[str, str],
                     rw_binds: dict[str, str]) -> Any:
        opts = self.job.options
        memory = opts.container_memory_bytes
        binds = {self.job.host_dir: {"bind": self.job.guest_dir, "mode": "ro"}}
        binds.update({host: {"bind": guest, "mode": "ro"} for host, guest in ro_binds.items()})
        binds.update({host: {"bind": guest, "mode": "rw"} for host, guest in rw_binds.items()})
        return self.client.create_host_config(
            binds=binds, network_mode="none", read_only=True, cap_drop=["ALL"],
            security_opt=["no-new-privileges"], mem_limit=memory, memswap_limit=memory,
            pids_limit=opts.pids_limit, cpuset_cpus=self.cpuset, cgroup_parent=cgroup_parent,
            log_config=LOG_CONFIG)

    def _run_args(self, cgroup_parent: Optional[str], sample: str) -> list[str]:
        """``docker run --rm`` with the settings of ``_host_config``; the image's entrypoint is
        the program, as for anyone typing the command."""
        job, opts = self.job, self.job.options
        assert self.image is not None
        memory = str(opts.container_memory_bytes)
        labels = {**self.labels, SAMPLE_LABEL: sample}
        return ["run", "--rm", "--network=none", "--read-only", "--cap-drop=ALL",
                "--security-opt=no-new-privileges", f"--user={USER}", f"--memory={memory}",
                f"--memory-swap={memory}", f"--pids-limit={opts.pids_limit}",
                f"--volume={job.host_dir}:{job.guest_dir}:ro",
                f"--log-driver={LOG_CONFIG['Type']}",
                *(f"--log-opt={k}={v}" for k, v in LOG_OPTIONS.items()),
                *(f"--label={k}={v}" for k, v in labels.items()),
                *([f"--cgroup-parent={cgroup_parent}"] if cgroup_parent else []),
                *([f"--cpuset-cpus={self.cpuset}"] if self.cpuset else []),
                self.image.tag, *job.argv[1:]]

    def _create(self, command: list[str], entrypoint: str, cgroup_parent: Optional[str],
                ro_binds: Optional[dict[str, str]] = None,
                rw_binds: Optional[dict[str, str]] = None) -> str:
        assert self.image is not None
        return self.client.create_container(
            self.image.tag, command=command, entrypoint=[entrypoint], user=USER,
            labels=self.labels, network_disabled=True,
            host_config=self._host_config(cgroup_parent, ro_binds or {}, rw_binds or {}))["Id"]

    def _iteration_cgroup(self) -> Optional[str]:
        """A fresh cgroup parent for one cold or load container (no peak to reset), or None."""
        if self.cgroup is None:
            return None
        rel = f"{self.cgroup}/i{self.iteration}"
        cgroups.make(rel)
        return rel

    @staticmethod
    def _cgroup_figures(rel: Optional[str]) -> tuple[Optional[int], Optional[int]]:
        """(peak memory, CPU time) of an iteration's cgroup, which is then removed."""
        if rel is None:
            return None, None
        peak, cpu = cgroups.peak_bytes(rel), cgroups.cpu_ns(rel)
        cgroups.remove(rel)
        return peak, cpu or None

    # Cold: the docker CLI.

    def _invoke_cold(self) -> Invocation:
        """One ``docker run --rm`` by the docker CLI, timed as a process by the launcher."""
        job = self.job
        assert self.cli is not None
        rel = self._iteration_cgroup()
        sample = f"{self.cell}-{self.iteration}"
        since = time.time()
        proc = spawn_and_wait(self.cli, ["docker", *self._run_args(rel, sample)],
                              stdout_path=job.stdout_path, stderr_path=job.stderr_path,
                              timeout_s=job.options.timeout_s, env=self._cli_env())
        to_monotonic = time.time_ns() - time.perf_counter_ns()
        if proc.timed_out:
            self._recover(f"{SAMPLE_LABEL}={sample}")
            self._cgroup_figures(rel)
            return Invocation(wall_ns=proc.wall_ns, exit_code=None, error=TIMED_OUT)
        peak, cpu = self._cgroup_figures(rel)
        inv = Invocation(wall_ns=proc.wall_ns, exit_code=proc.exit_code, cpu_ns=cpu,
                         peak_rss_bytes=peak, error=proc.failure())
        try:
            stamps = self._event_stamps(sample, since)
        except Exception:  # the engine no longer answers: said below if the run failed
            stamps = None
        if stamps is not None and all(a in stamps for a in CLI_EVENTS):
            marks = [proc.started_ns, *(stamps[a] - to_monotonic for a in CLI_EVENTS),
                     proc.ended_ns]
            if all(a <= b for a, b in zip(marks, marks[1:])):  # else a clock step: no phases
                inv.phases_ns = {n: b - a for n, a, b in zip(CLI_PHASES, marks, marks[1:])}
        if proc.exit_code and (stamps is None or "die" not in stamps):
            # Not the program's status: the CLI failed before any container ran.
            inv.exit_code = None
            inv.error = (f"Docker engine at {engine_host()} failed: " if stamps is None else "") \
                + f"docker run exited with status {proc.exit_code}"
        return inv

    def _cli_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in CLI_VARIABLES}
        env["DOCKER_HOST"] = engine_host()
        return env

    def _event_stamps(self, sample: str, since: float) -> dict[str, int]:
        """When the engine created, started, saw the exit of and destroyed the iteration's
        container: its own stamps (wall clock, ns) from the events API, after the fact."""
        stamps: dict[str, int] = {}
        for event in self.client.events(
                since=f"{since - 1:.9f}", until=f"{time.time():.9f}", decode=True,
                filters={"type": "container", "label": f"{SAMPLE_LABEL}={sample}"}):
            stamps.setdefault(event.get("Action", ""), int(event.get("timeNano", 0)))
        return stamps

    # Load: the API, as a FaaS node loads a function.

    def _invoke_load(self) -> Invocation:
        job = self.job
        assert self.image is not None
        rel = self._iteration_cgroup()
        t0 = time.perf_counter_ns()
        cid = self._create(job.argv[1:], guest_path(job.benchmark), rel)
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
        peak, cpu = self._cgroup_figures(rel)
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

    def _run_host(self, command: list[str], rw_binds: Optional[dict[str, str]] = None) -> str:
        """Start the warm host: a container whose PID 1 is the launcher with ``command``."""
        if self.cgroup is not None:
            cgroups.make(self.cgroup)
        cid = self._create(command, LAUNCHER_GUEST, self.cgroup,
                           {str(launcher_path()): LAUNCHER_GUEST}, rw_binds)
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
        """Fresh FIFOs (no stale reply can survive a killed host), opened before the launcher
        opens them: the request end read-write, so opening never blocks and the launcher sees
        end-of-file only when this worker is gone; the reply end non-blocking, polled."""
        job = self.job
        io = self._io_dir()
        self._close_fifos()
        for name in ("request", "reply"):
            (io / name).unlink(missing_ok=True)
            os.mkfifo(io / name)
            (io / name).chmod(0o666)
        request = os.open(io / "request", os.O_RDWR | os.O_CLOEXEC)
        reply = os.open(io / "reply", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        self.fifos = (request, reply)
        self.poller = select.poll()
        self.poller.register(reply, select.POLLIN)
        self.container = self._run_host(
            serve_argv(IO_GUEST, guest_path(job.benchmark), job.argv), {str(io): IO_GUEST})

    def _close_fifos(self) -> None:
        if self.fifos is not None:
            for fd in self.fifos:
                os.close(fd)
            self.fifos = None

    def _invoke_warm(self) -> Invocation:
        """One request to the launcher: wall time from the request written to the report read;
        phases split it at the launcher's stamps (CLOCK_MONOTONIC is the host's inside a
        container): dispatch, the program, the reply."""
        if self.container is None or self.fifos is None:
            self._start_warm()
        assert self.fifos is not None
        t0 = time.perf_counter_ns()
        os.write(self.fifos[0], b"\n")
        line = self._reply(self.job.options.timeout_s)
        t1 = time.perf_counter_ns()
        report = parse_report(line) if line else None
        if report is None:
            error = WARM_TIMED_OUT if line is None else self._host_stopped()
            self._recover()  # kills (force-removes) the host, then starts a fresh one
            return Invocation(wall_ns=t1 - t0, exit_code=None, error=error)
        return Invocation(
            wall_ns=t1 - t0, exit_code=None if report.signal else report.exit_code,
            cpu_ns=report.cpu_ns, peak_rss_bytes=report.peak_rss_bytes,
            error=_signal_error(report.signal) if report.signal else None,
            phases_ns={"dispatch": report.start_ns - t0,
                       "program": report.end_ns - report.start_ns, "reply": t1 - report.end_ns})

    def _reply(self, timeout_s: float) -> Optional[bytes]:
        """The launcher's report line; b"" when its end of the FIFO closed (it is gone), None
        when nothing came within ``timeout_s``."""
        assert self.fifos is not None
        deadline = time.monotonic() + timeout_s
        data = b""
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not self.poller.poll(math.ceil(left * 1000)):
                return None
            try:
                chunk = os.read(self.fifos[1], 4096)
            except BlockingIOError:
                continue
            if not chunk:
                return b""
            data += chunk
        return data

    def _host_stopped(self) -> str:
        """Why the warm host's launcher stopped answering, from what it logged."""
        try:
            logs = self.client.logs(self.container, tail=3).decode(errors="replace")
        except Exception as exc:  # the engine is gone too: say that
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


class DockerExecRuntime(DockerRuntime):
    """``docker-exec``: warm through ``docker exec``, for comparison: the daemon, containerd and
    runc's exec path per request. Its cold and load are docker's.

    The warm host's PID 1 is the launcher blocking forever; each request is an exec of the
    launcher, which runs the program and appends its report to the exec's stderr. CPU time is
    the container's cgroup (the exec'd launcher included); peak RSS is the program's own.
    """

    name = "docker-exec"

    @classmethod
    def mode_note(cls, mode: str) -> Optional[str]:
        if mode == "warm":
            return "warm through `docker exec`: the daemon, containerd and runc's exec path " \
                   "per request (docker's warm asks the running container directly)"
        return f"{mode} = docker's {mode}: docker-exec differs in warm only"

    def _start_warm(self) -> None:
        self.container = self._run_host([])

    def _invoke_warm(self) -> Invocation:
        job = self.job
        if self.container is None:
            self._start_warm()
        cpu0 = cgroups.cpu_ns(self.cgroup) if self.cgroup is not None else None
        t0 = time.perf_counter_ns()
        exec_id = self.client.exec_create(
            self.container, [LAUNCHER_GUEST, guest_path(job.benchmark), *job.argv])["Id"]
        t1 = time.perf_counter_ns()
        # docker-py reads an exec's output with no socket timeout: the watchdog enforces it.
        dog = watchdog()
        dog.arm(job.options.timeout_s, self._kill_warm)
        try:
            stdout, stderr = self.client.exec_start(exec_id, demux=True)
        finally:
            dog.disarm()
        t2 = time.perf_counter_ns()
        if dog.fired:
            self._recover()  # removes the killed host and starts a fresh one, unmeasured
            return Invocation(wall_ns=t2 - t0, exit_code=None, error=WARM_TIMED_OUT)
        exit_code = self.client.exec_inspect(exec_id).get("ExitCode")
        t3 = time.perf_counter_ns()
        cpu1 = cgroups.cpu_ns(self.cgroup) if self.cgroup is not None else None
        stderr, report = split_report(stderr or b"")
        Path(job.stdout_path).write_bytes(stdout or b"")
        Path(job.stderr_path).write_bytes(stderr)
        cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
        error = None
        if report is not None and report.signal is not None:  # the launcher saw the signal
            exit_code, error = None, _signal_error(report.signal)
        return Invocation(wall_ns=t3 - t0, exit_code=exit_code, cpu_ns=cpu or None,
                          peak_rss_bytes=report.peak_rss_bytes if report else None, error=error,
                          phases_ns={"create": t1 - t0, "exec": t2 - t1, "inspect": t3 - t2})

    def _kill_warm(self) -> None:
        """The watchdog's action past the timeout: kill the warm host, which ends the exec."""
        try:
            client = connect()
        except EngineError:
            return
        try:
            client.kill(self.container)
        except Exception:  # gone already, or the engine died: the exec has ended either way
            pass
        finally:
            client.close()
