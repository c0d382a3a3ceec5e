"""``docker-exec``: ``docker`` with warm requests through ``docker exec``, for comparison: the
daemon, containerd and runc's exec path per request (its cold and load are docker's)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from engine.build.launcher import split_report
from engine.runtimes.base import Invocation
from engine.runtimes.docker import cgroups
from engine.runtimes.docker.engine_client import EngineError, connect
from engine.runtimes.docker.images import LAUNCHER_GUEST, guest_path
from engine.runtimes.docker.runtime import WARM_TIMED_OUT, DockerRuntime, signal_error
from engine.runtimes.process import watchdog


class DockerExecRuntime(DockerRuntime):
    """``docker-exec``: warm through ``docker exec``, for comparison: the daemon, containerd and
    runc's exec path per request. Its cold and load are docker's.

    The warm server's PID 1 is the launcher blocking forever; each request is an exec of the
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
        self.container = self._run_server([])

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
            self._recover()  # removes the killed server and starts a fresh one, unmeasured
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
            exit_code, error = None, signal_error(report.signal)
        return Invocation(wall_ns=t3 - t0, exit_code=exit_code, cpu_ns=cpu or None,
                          peak_rss_bytes=report.peak_rss_bytes if report else None, error=error,
                          phases_ns={"create": t1 - t0, "exec": t2 - t1, "inspect": t3 - t2})

    def _kill_warm(self) -> None:
        """The watchdog's action past the timeout: kill the warm server, which ends the exec."""
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
