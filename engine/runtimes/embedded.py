"""WebAssembly engines driven from Python (wasmtime-py, wasmer): shared cold and warm logic.

A host loads the engine and module once (``load``) and runs a fresh instance per call
(``run``). Warm mode keeps the host inside the worker. Cold mode starts a fresh Python
process per iteration (``python -m engine.runtimes.embedded``) that loads and runs once, so
the sample pays what a cold start really costs, the interpreter included; the child reports
its phases as a ``HostReport``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import asdict
from pathlib import Path
from typing import ClassVar, Optional

import dacite

from ..protocol import HostReport, one_line
from .base import Invocation, Job, Runtime
from .process import run_fresh_host

HOST_ENV = ("PATH", "PYTHONPATH", "LD_LIBRARY_PATH")
"""What a fresh Python host keeps of the worker's environment (the 3.9 venv needs the last)."""


class EmbeddedHost(ABC):
    """One engine + compiled module; ``run`` instantiates and executes once."""

    def __init__(self, job: Job) -> None:
        self.job = job

    @abstractmethod
    def load(self) -> None:
        """Import the engine library, create the engine and load the compiled module."""

    @abstractmethod
    def run(self) -> Invocation:
        """Instantiate and run ``_start``; phases ``instantiate`` and ``execute`` are filled in."""


def reset_peak_rss(pid: str = "self") -> None:
    """Linux resets VmHWM when 5 is written to clear_refs, giving a per-iteration peak."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_rss(pid: str = "self") -> Optional[int]:
    """The process's VmHWM (peak resident set) in bytes, if Linux tells."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class EmbeddedRuntime(Runtime):
    """Runs a host in the worker (warm) or in a fresh child process per iteration (cold)."""

    host_class: ClassVar[type[EmbeddedHost]]
    kind = "wasm"
    artifact_target = "wasm"
    reply_grace_s = 2.0

    def prepare(self) -> None:
        # Loading once here also precompiles and caches the module, so no cold sample pays that.
        self.host: Optional[EmbeddedHost] = self.host_class(self.job)
        self.host.load()
        if self.job.mode == "cold":
            self.host = None
            self.job_file = Path(f"{self.job.stdout_path}.job.json")
            self.job_file.write_text(json.dumps(asdict(self.job)))

    def invoke(self) -> Invocation:
        return self._invoke_warm() if self.host is not None else self._invoke_cold()

    def _invoke_warm(self) -> Invocation:
        assert self.host is not None
        reset_peak_rss()
        cpu0 = time.thread_time_ns()
        t0 = time.perf_counter_ns()
        inv = self.host.run()
        inv.wall_ns = time.perf_counter_ns() - t0
        inv.cpu_ns = time.thread_time_ns() - cpu0
        inv.peak_rss_bytes = peak_rss()
        return inv

    def _invoke_cold(self) -> Invocation:
        argv = [sys.executable, "-m", "engine.runtimes.embedded", self.name, str(self.job_file)]
        env = {k: v for k, v in os.environ.items() if k in HOST_ENV}
        return run_fresh_host(sys.executable, argv, self.job, host_stderr=self.job.stderr_path,
                              env=env)

    def close(self) -> None:
        self.host = None


def _cold_main(runtime_name: str, job_file: str) -> None:
    """Child side of a cold start: load, run once, print a HostReport, exit hard."""
    main_ns = time.perf_counter_ns()
    from . import get

    job = dacite.from_dict(Job, json.loads(Path(job_file).read_text()))
    host = get(runtime_name).host_class(job)  # type: ignore[attr-defined]
    try:
        host.load()
        loaded_ns = time.perf_counter_ns()
        inv = host.run()
    except Exception as exc:  # report any engine failure as the sample's reason
        loaded_ns = time.perf_counter_ns()
        inv = Invocation(wall_ns=0, exit_code=None, error=one_line(exc))
    report = HostReport(inv.exit_code, inv.error, {"load": loaded_ns - main_ns, **inv.phases_ns},
                        main_ns=main_ns, done_ns=time.perf_counter_ns(), fuel=inv.fuel,
                        guest_memory_bytes=inv.guest_memory_bytes)
    sys.stdout.write(report.to_json())
    sys.stdout.flush()
    # os._exit skips interpreter teardown: faster, and wasmer-sdk can abort during teardown.
    os._exit(0)


if __name__ == "__main__":
    _cold_main(sys.argv[1], sys.argv[2])
