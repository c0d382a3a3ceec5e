"""``docker``: the static native binary in a locally built container image, on a real engine.

Cold: per iteration what ``docker run --rm`` does (create, start, wait, collect logs, remove),
each phase timed. Warm: one container per cell whose PID 1 is the launcher, each iteration a
``docker exec`` of the binary. Containers are hardened (no network, read-only root, no
capabilities, no new privileges, nobody:nogroup, memory and pids limits) and labelled with the
run id, so ``cleanup`` removes them even after the worker was killed. CPU time comes from a
cgroup parent faasbench owns (``engine.cgroups``); so does a cold container's peak memory,
while a warm exec reports the program's own peak RSS through the launcher (c_sources/launcher.c).
"""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path
from typing import Any, Optional

from .. import cgroups
from ..docker_engine import (
    FIX,
    EngineError,
    connect,
    describe_error,
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
)
from ..launcher import launcher_path, split_report
from .base import Availability, Invocation, Runtime
from .process import watchdog

USER = "65534:65534"
CGROUP_ROOT = "/faasbench"
LOG_CONFIG = {"Type": "local", "Config": {"max-size": "1g", "compress": "false"}}
"""The ``local`` log driver keeps output bytes exact; ``json-file`` mangles binary output."""


TIMED_OUT = "timed out (container removed after the per-iteration timeout)"


def _cgroup_of_run(run_id: str) -> str:
    return f"{CGROUP_ROOT}/{run_id}"


class DockerRuntime(Runtime):
    """A container per iteration (cold) or a ``docker exec`` per iteration (warm)."""

    name = "docker"
    artifact_target = "native"
    kind = "container"
    has_memory_limit = True
    reply_grace_s = 60.0
    """Engine calls may each wait up to the timeout + 30 s, and a timeout's clean-up
    removes containers through the engine."""

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
            "cgroup_version": info.get("CgroupVersion", "1"), "storage": info.get("Driver")})

    def prepare(self) -> None:
        job = self.job
        self.client = connect(job.options.timeout_s + 30)
        self.image: Image = ensure_image(self.client, job.benchmark, job.artifact,
                                         job.options.docker_base)
        self.labels = {LABEL: "1", RUN_LABEL: job.run_id, "faasbench.benchmark": job.benchmark}
        measurable = is_local() and self.client.info().get("CgroupDriver") == "cgroupfs"
        self.cgroup: Optional[str] = (
            f"{_cgroup_of_run(job.run_id)}/{uuid.uuid4().hex[:8]}" if measurable else None)
        self.iteration = 0
        self.container: Optional[str] = None
        if self.job.mode == "warm":
            self._start_warm()

    def _host_config(self, cgroup_parent: Optional[str], extra_binds: dict[str, str]) -> Any:
        opts = self.job.options
        memory = opts.container_memory_bytes
        binds = {self.job.host_dir: {"bind": self.job.guest_dir, "mode": "ro"}}
        binds.update({host: {"bind": guest, "mode": "ro"} for host, guest in extra_binds.items()})
        return self.client.create_host_config(
            binds=binds, network_mode="none", read_only=True, cap_drop=["ALL"],
            security_opt=["no-new-privileges"], mem_limit=memory, memswap_limit=memory,
            pids_limit=opts.pids_limit,
            cgroup_parent=cgroup_parent, log_config=LOG_CONFIG)

    def _create(self, command: list[str], entrypoint: str, cgroup_parent: Optional[str],
                extra_binds: Optional[dict[str, str]] = None) -> str:
        return self.client.create_container(
            self.image.tag, command=command, entrypoint=[entrypoint], user=USER,
            labels=self.labels, network_disabled=True,
            host_config=self._host_config(cgroup_parent, extra_binds or {}))["Id"]

    def _start_warm(self) -> None:
        """The warm host: a running container whose PID 1 sleeps until it is removed."""
        if self.cgroup is not None:
            cgroups.make(self.cgroup)
        self.container = self._create([], LAUNCHER_GUEST, self.cgroup,
                                      {str(launcher_path()): LAUNCHER_GUEST})
        self.client.start(self.container)

    def invoke(self) -> Invocation:
        self.iteration += 1
        try:
            return self._invoke_warm() if self.job.mode == "warm" else self._invoke_cold()
        except Exception as exc:  # engine trouble is this sample's failure, said plainly
            return Invocation(wall_ns=0, exit_code=None, error=self._engine_error(exc))

    def _engine_error(self, exc: Exception) -> str:
        if "timed out" in str(exc).lower() or "ReadTimeout" in type(exc).__name__:
            self._recover()
            return TIMED_OUT
        return f"Docker engine at {engine_host()} failed: {describe_error(exc)}"

    def _recover(self) -> None:
        """After a timeout: remove what still runs; warm mode gets a fresh host."""
        try:
            remove_containers(self.client, f"{RUN_LABEL}={self.labels[RUN_LABEL]}")
            self.container = None
            if self.job.mode == "warm":
                self._start_warm()
        except Exception:  # the next iteration reports whatever is still wrong
            pass

    def _invoke_cold(self) -> Invocation:
        job = self.job
        rel = f"{self.cgroup}/i{self.iteration}" if self.cgroup is not None else None
        if rel is not None:
            cgroups.make(rel)
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
        peak = cpu = None
        if rel is not None:
            peak, cpu = cgroups.peak_bytes(rel), cgroups.cpu_ns(rel)
            cgroups.remove(rel)
        return Invocation(wall_ns=t5 - t0, exit_code=status.get("StatusCode"), cpu_ns=cpu or None,
                          peak_rss_bytes=peak,
                          phases_ns={"create": t1 - t0, "start": t2 - t1, "wait": t3 - t2,
                                     "logs": t4 - t3, "remove": t5 - t4})

    def _write_logs(self, cid: str) -> None:
        for path, stdout in ((self.job.stdout_path, True), (self.job.stderr_path, False)):
            with open(path, "wb") as out:
                for chunk in self.client.logs(cid, stdout=stdout, stderr=not stdout, stream=True):
                    out.write(chunk)

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
            return Invocation(wall_ns=t2 - t0, exit_code=None, error=TIMED_OUT)
        exit_code = self.client.exec_inspect(exec_id).get("ExitCode")
        t3 = time.perf_counter_ns()
        cpu1 = cgroups.cpu_ns(self.cgroup) if self.cgroup is not None else None
        stderr, report = split_report(stderr or b"")
        Path(job.stdout_path).write_bytes(stdout or b"")
        Path(job.stderr_path).write_bytes(stderr)
        cpu = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
        error = None
        if report is not None and report.signal is not None:  # the launcher saw the signal
            exit_code, error = None, f"killed by signal {signal.Signals(report.signal).name}"
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

    def close(self) -> None:
        try:
            if self.container is not None:
                self.client.remove_container(self.container, force=True)
        finally:
            if self.cgroup is not None:
                cgroups.remove(self.cgroup)
            self.client.close()

    def artifact_bytes(self) -> Optional[int]:
        """The whole image (its base layers included): what deploying this function costs."""
        return self.image.size_bytes

    @classmethod
    def cleanup(cls, run_id: str) -> None:
        """Remove this run's containers and cgroups; quiet when the engine is gone."""
        try:
            client = connect()
        except EngineError:
            pass
        else:
            try:
                remove_containers(client, f"{RUN_LABEL}={run_id}")
            except Exception:  # the engine died meanwhile: nothing more can be removed
                pass
            finally:
                client.close()
        cgroups.remove(_cgroup_of_run(run_id))
