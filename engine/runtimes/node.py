"""``node``: V8 through Node.js and node:wasi (preview1), the study's "V8" runtime.

Cold: a fresh ``node`` process per iteration runs ``node_host.mjs once``, which compiles,
instantiates and runs; its monotonic stamps give the phases start (``node`` alone costs tens
of milliseconds), compile, instantiate, execute and exit. Warm: one ``node_host.mjs serve``
process per cell keeps the compiled module and runs a fresh WASI + instance per request line.
A guest past the timeout gets its node process killed; warm mode then starts a new one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Optional

from .base import Availability, Invocation, Job, Runtime
from .embedded import peak_rss, reset_peak_rss
from .process import spawn_and_wait, watchdog

HOST_SCRIPT = Path(__file__).with_name("node_host.mjs")
MIN_MAJOR = 18
"""node:wasi with ``version: 'preview1'`` and ``returnOnExit``."""


def _node() -> Optional[str]:
    return shutil.which("node")


def _spec(job: Job) -> str:
    return json.dumps({"module": job.artifact, "argv": job.argv, "dataDir": job.data_dir,
                       "guestDir": job.guest_dir, "stdout": job.stdout_path,
                       "stderr": job.stderr_path})


def _invocation(report: dict[str, Any]) -> Invocation:
    """An Invocation from the host script's report (wall time and phases filled by the caller)."""
    return Invocation(wall_ns=0, exit_code=report.get("exit_code"), error=report.get("error"),
                      cpu_ns=report.get("cpu_ns"), phases_ns=report.get("phases_ns") or {},
                      guest_memory_bytes=report.get("guest_memory_bytes"))


class NodeRuntime(Runtime):
    name = "node"
    kind = "wasm"
    artifact_target = "wasm"

    @classmethod
    def available(cls) -> Availability:
        node = _node()
        fix = f"install Node.js >= {MIN_MAJOR} (e.g. apt-get install nodejs) and put node on PATH"
        if node is None:
            return Availability(False, reason="node not found on PATH", fix=fix)
        try:
            out = subprocess.run([node, "-p", "process.version + ' ' + process.versions.v8"],
                                 capture_output=True, text=True, timeout=30, check=True).stdout
        except (OSError, subprocess.SubprocessError) as exc:
            return Availability(False, reason=f"{node} does not run: {exc}", fix=fix)
        version, v8 = out.split()
        major = int(re.match(r"v(\d+)", version).group(1))  # type: ignore[union-attr]
        if major < MIN_MAJOR:
            return Availability(False, version=version,
                                reason=f"node {version} has no node:wasi preview1", fix=fix)
        return Availability(True, version=version, details={"engine": f"V8 {v8}", "path": node})

    @classmethod
    def installed_bytes(cls) -> Optional[int]:
        node = _node()
        return os.path.getsize(os.path.realpath(node)) if node else None

    def prepare(self) -> None:
        self.node = _node() or "node"
        self.server: Optional[subprocess.Popen[str]] = None
        self.host_log = Path(self.job.stdout_path).with_suffix(".node-host.log")
        if self.job.mode == "warm":
            self._start_server()

    def invoke(self) -> Invocation:
        return self._invoke_warm() if self.job.mode == "warm" else self._invoke_cold()

    def _invoke_cold(self) -> Invocation:
        job = self.job
        report_file = Path(job.stdout_path).with_suffix(".report.json")
        argv = [self.node, str(HOST_SCRIPT), "once", _spec(job)]
        proc = spawn_and_wait(self.node, argv, stdout_path=str(report_file),
                              stderr_path=str(self.host_log), timeout_s=job.timeout_s)
        try:
            report = json.loads(report_file.read_text())
        except (OSError, ValueError):
            return Invocation(wall_ns=proc.wall_ns, exit_code=None, cpu_ns=proc.cpu_ns,
                              peak_rss_bytes=proc.peak_rss_bytes,
                              error=proc.failure() or f"node reported nothing: {self._log_tail()}")
        inv = _invocation(report)
        inv.wall_ns, inv.cpu_ns, inv.peak_rss_bytes = proc.wall_ns, proc.cpu_ns, proc.peak_rss_bytes
        inv.error = inv.error or proc.failure()
        stamps = report["stamps"]
        inv.phases_ns = {"start": int(stamps["main"]) - proc.started_ns, **inv.phases_ns,
                         "exit": proc.ended_ns - int(stamps["done"])}
        return inv

    def _start_server(self) -> None:
        with open(self.host_log, "w") as log:
            self.server = subprocess.Popen(
                [self.node, str(HOST_SCRIPT), "serve", _spec(self.job)], env={},
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
        ready = self._read_reply(self.job.timeout_s)
        if ready is None or not ready.get("ready"):
            self.close()
            why = ready["error"] if ready else self._log_tail()
            raise RuntimeError(f"node host did not start: {why}")

    def _read_reply(self, timeout_s: float) -> Optional[dict[str, Any]]:
        """One JSON line from the server, or None when it died or was killed by the watchdog."""
        assert self.server is not None and self.server.stdout is not None
        dog = watchdog()
        dog.arm(timeout_s, self.server.kill)
        try:
            line = self.server.stdout.readline()
        finally:
            dog.disarm()
        return json.loads(line) if line else None

    def _invoke_warm(self) -> Invocation:
        if self.server is None or self.server.poll() is not None:
            self._start_server()  # after a timeout, outside any sample's measurement
        assert self.server is not None and self.server.stdin is not None
        pid = str(self.server.pid)
        reset_peak_rss(pid)
        t0 = time.perf_counter_ns()
        self.server.stdin.write("\n")
        self.server.stdin.flush()
        report = self._read_reply(self.job.timeout_s)
        wall = time.perf_counter_ns() - t0
        if report is None:
            timed_out = watchdog().fired
            self.close()
            return Invocation(wall_ns=wall, exit_code=None, error=(
                "timed out (node killed after the per-iteration timeout)" if timed_out
                else f"node host died: {self._log_tail()}"))
        inv = _invocation(report)
        inv.wall_ns, inv.peak_rss_bytes = wall, peak_rss(pid)
        return inv

    def _log_tail(self) -> str:
        try:
            return " ".join(self.host_log.read_text(errors="replace")[-300:].split())
        except OSError:
            return ""

    def close(self) -> None:
        if self.server is not None:
            self.server.kill()
            self.server.wait()
            for stream in (self.server.stdin, self.server.stdout):
                if stream is not None:
                    stream.close()
            self.server = None
