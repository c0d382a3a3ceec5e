"""WebAssembly engines driven from Python (wasmtime-py, wasmer): the three modes, shared.

A host starts the engine (``start``: import, configure), loads a function (``load``: read it
from disk, compile or deserialise it) and runs a fresh instance of it per call (``run``).
- cold: a fresh Python process per iteration (``python -m engine.runtimes.embedded``) starts,
  loads and runs once, so the sample pays a whole cold start, the interpreter included; it
  reports its phases as a ``HostReport`` and is labelled "python host".
- load: the worker is the running host (started once); each iteration loads the function and
  runs it, as a FaaS node does on a function's first request.
- warm: the worker keeps the loaded function; each iteration only runs a fresh instance.
"""

from __future__ import annotations

import json
import os
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import asdict
from pathlib import Path
from typing import ClassVar, Optional

import dacite

from ..peak_rss import PeakRss
from ..protocol import HostReport, one_line
from .base import Invocation, Job, Runtime, Served
from .process import run_fresh_host

HOST_ENV = ("PATH", "PYTHONPATH", "LD_LIBRARY_PATH")
"""What a fresh Python host keeps of the worker's environment (the 3.9 venv needs the last)."""


class EmbeddedHost(ABC):
    """One engine; ``load`` makes the function runnable, ``run`` instantiates and executes it."""

    guest_on_calling_thread: ClassVar[bool] = True
    """False for an engine that runs guests on threads of its own: a sample's CPU time is
    then the whole process's, not the calling thread's."""

    outputs: Optional[GuestOutputs] = None
    """The guest's output files, when the host writes them through descriptors it holds."""

    def __init__(self, job: Job) -> None:
        self.job = job

    @abstractmethod
    def start(self) -> None:
        """Import the engine library and configure an engine: what a running host has done."""

    @abstractmethod
    def load(self) -> None:
        """Read the function from disk and compile or deserialise it."""

    @abstractmethod
    def run(self) -> Invocation:
        """Instantiate and run ``_start``; phases ``instantiate`` and ``execute`` are filled in
        (the sample's wall time is the caller's: it times the whole request around this)."""

    def serve_many(self, limit: int, budget_ns: int, silent: bool) -> Optional[Served]:
        """``Runtime.serve_many``, for a warm host that can (None: it cannot)."""
        return None

    def prepare_cold(self) -> None:
        """Work no cold sample may pay twice (a precompiled module cached on disk)."""

    def close(self) -> None:
        """Release what ``start`` and ``load`` hold outside the engine (open files), also
        after a ``start`` that failed halfway."""


class GuestOutputs:
    """The job's stdout and stderr files, opened once in append mode and emptied before each
    request: each then holds exactly one request's output, without reopening per request."""

    def __init__(self, job: Job) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
        self.stdout = os.open(job.stdout_path, flags, 0o644)
        self.stderr = os.open(job.stderr_path, flags, 0o644)

    def reset(self) -> None:
        """Empty what the last request wrote (a file's end offset is its size; truncating an
        empty file would cost as much as a warm nop's instantiation)."""
        for fd in (self.stdout, self.stderr):
            if os.lseek(fd, 0, os.SEEK_END):
                os.ftruncate(fd, 0)

    def stdout_bytes(self) -> int:
        return os.lseek(self.stdout, 0, os.SEEK_END)

    def close(self) -> None:
        os.close(self.stdout)
        os.close(self.stderr)


class EmbeddedRuntime(Runtime):
    """Runs a host in the worker (warm) or in a fresh child process per iteration (cold)."""

    host_class: ClassVar[type[EmbeddedHost]]
    kind = "wasm"
    artifact_target = "wasm"
    reply_grace_s = 2.0
    cold_host = "python host"
    host: Optional[EmbeddedHost] = None
    peak: Optional[PeakRss] = None

    def prepare(self) -> None:
        if self.job.mode == "cold":
            self.host_class(self.job).prepare_cold()
            self.job_file = Path(f"{self.job.stdout_path}.job.json")
            self.job_file.write_text(json.dumps(asdict(self.job)))
            return
        self.peak = PeakRss()
        self.host = self.host_class(self.job)
        self.cpu_clock = time.thread_time_ns if self.host.guest_on_calling_thread \
            else time.process_time_ns
        self.host.start()
        self.host.load()  # load mode too: a function that cannot load fails the cell once

    def peak_window(self) -> Optional[PeakRss]:
        return self.peak

    def serve_many(self, limit: int, budget_ns: int, silent: bool) -> Optional[Served]:
        if self.host is None or self.job.mode != "warm":
            return None
        return self.host.serve_many(limit, budget_ns, silent)

    def stdout_bytes(self) -> Optional[int]:
        outputs = self.host.outputs if self.host is not None else None
        return outputs.stdout_bytes() if outputs is not None else None

    def invoke(self) -> Invocation:
        return self._invoke_in_worker() if self.host is not None else self._invoke_cold()

    def _invoke_in_worker(self) -> Invocation:
        """A load or warm iteration in the running host (load mode loads the function first)."""
        assert self.host is not None
        cpu0 = self.cpu_clock()
        t0 = time.perf_counter_ns()
        if self.job.mode == "load":
            self.host.load()
        t1 = time.perf_counter_ns()
        inv = self.host.run()
        inv.wall_ns = time.perf_counter_ns() - t0
        inv.cpu_ns = self.cpu_clock() - cpu0
        if self.job.mode == "load":
            inv.phases_ns = {"load": t1 - t0, **inv.phases_ns}
        return inv

    def _invoke_cold(self) -> Invocation:
        argv = [sys.executable, "-m", "engine.runtimes.embedded", self.name, str(self.job_file)]
        env = {k: v for k, v in os.environ.items() if k in HOST_ENV}
        return run_fresh_host(sys.executable, argv, self.job, host_stderr=self.job.stderr_path,
                              env=env)

    def close(self) -> None:
        if self.host is not None:
            self.host.close()
            self.host = None
        if self.peak is not None:
            self.peak.close()
            self.peak = None


def _cold_main(runtime_name: str, job_file: str) -> None:
    """Child side of a cold start: load, run once, print a HostReport, exit hard."""
    main_ns = time.perf_counter_ns()
    from . import get

    job = dacite.from_dict(Job, json.loads(Path(job_file).read_text()))
    host = get(runtime_name).host_class(job)  # type: ignore[attr-defined]
    try:
        host.start()
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
