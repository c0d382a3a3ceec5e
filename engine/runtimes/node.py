"""``node``: V8 through Node.js and node:wasi (preview1), the study's "V8" runtime.

Cold: a fresh ``node`` process per iteration ("node process") runs ``node_server.mjs once``,
which compiles, instantiates and runs; its report gives the phases compile, instantiate and
execute, and its stamps ``start`` (``node`` alone costs tens of milliseconds) and ``exit``. Load:
one server, ``node_server.mjs load``, per cell reads and compiles the module again per request,
then runs it. Warm: one ``node_server.mjs serve`` per cell keeps the compiled module and runs a
fresh WASI + instance per request line. A guest past the timeout gets its node process killed;
the next request starts a new server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Optional

from engine import serial
from engine.runtimes.base import Availability, Invocation, Job, Runtime
from engine.runtimes.peak_rss import PeakRss
from engine.runtimes.process import run_fresh_process, tail, watchdog
from engine.runtimes.request_report import RequestReport
from engine.serial import Record

SERVER_SCRIPT = Path(__file__).with_name("node_server.mjs")
MIN_MAJOR = 18
"""node:wasi with ``version: 'preview1'`` and ``returnOnExit``."""


class NodeSpec(Record):
    """How node_server.mjs runs a module: the file, argv and what the guest may see and write."""

    module: str
    argv: list[str]
    host_dir: str
    guest_dir: str
    stdout: str
    stderr: str

    @classmethod
    def of(cls, job: Job) -> NodeSpec:
        return cls(job.artifact, job.argv, job.host_dir, job.guest_dir, job.stdout_path,
                   job.stderr_path)

    def to_json(self) -> str:
        return serial.encode(self).decode()


def node_binary() -> Optional[str]:
    """The node on PATH (None without one); the pool server of ``scale`` starts it too."""
    return shutil.which("node")


def _invocation(report: RequestReport) -> Invocation:
    """An Invocation from the server's report (wall time filled in by the caller)."""
    return Invocation(wall_ns=0, exit_code=report.exit_code, error=report.error,
                      cpu_ns=report.cpu_ns, phases_ns=dict(report.phases_ns),
                      guest_memory_bytes=report.guest_memory_bytes)


class NodeRuntime(Runtime):
    name = "node"
    kind = "wasm"
    artifact_target = "wasm"
    cold_process = "node process"

    @classmethod
    def available(cls) -> Availability:
        node = node_binary()
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
        node = node_binary()
        return os.path.getsize(os.path.realpath(node)) if node else None

    def prepare(self) -> None:
        job = self.job
        self.node = node_binary() or "node"
        self.server: Optional[subprocess.Popen[str]] = None
        self.server_log = f"{job.stdout_path}.node-server.log"
        self.spec = NodeSpec.of(job).to_json()
        if job.mode != "cold":
            self._start_server()

    def invoke(self) -> Invocation:
        if self.job.mode != "cold":
            return self._invoke_server()
        return run_fresh_process(self.node, [self.node, str(SERVER_SCRIPT), "once", self.spec],
                                 self.job, process_stderr=self.server_log)

    def _start_server(self) -> None:
        with open(self.server_log, "w") as log:
            self.server = subprocess.Popen(
                [self.node, str(SERVER_SCRIPT), "load" if self.job.mode == "load" else "serve",
                 self.spec], env={},
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
        self.peak = PeakRss(str(self.server.pid))
        line = self._read_line(self.job.options.timeout_s)
        if line != "ready\n":
            self.close()
            why = line.strip() if line else tail(self.server_log)
            raise RuntimeError(f"node server did not start: {why}")

    def _read_line(self, timeout_s: float) -> str:
        """One line from the server; empty when it died or the watchdog killed it."""
        assert self.server is not None and self.server.stdout is not None
        dog = watchdog()
        dog.arm(timeout_s, self.server.kill)
        try:
            return self.server.stdout.readline()
        finally:
            dog.disarm()

    def _invoke_server(self) -> Invocation:
        """One request to the server (load: it compiles the module again first)."""
        if self.server is None or self.server.poll() is not None:
            self._start_server()  # after a timeout, outside any sample's measurement
        assert self.server is not None and self.server.stdin is not None
        self.peak.reset()
        t0 = time.perf_counter_ns()
        self.server.stdin.write("\n")
        self.server.stdin.flush()
        line = self._read_line(self.job.options.timeout_s)
        wall = time.perf_counter_ns() - t0
        if not line:
            timed_out = watchdog().fired
            self.close()
            return Invocation(wall_ns=wall, exit_code=None, error=(
                "timed out (node killed after the per-iteration timeout)" if timed_out
                else f"node server died: {tail(self.server_log)}"))
        inv = _invocation(RequestReport.from_json(line))
        inv.wall_ns, inv.peak_rss_bytes = wall, self.peak.read()
        return inv

    def close(self) -> None:
        if self.server is not None:
            self.server.kill()
            self.server.wait()
            for stream in (self.server.stdin, self.server.stdout):
                if stream is not None:
                    stream.close()
            self.server = None
            self.peak.close()
