"""WebAssembly engines driven from Python (wasmtime-py, wasmer): the three modes, shared.

An ``Embedder`` starts the engine (``start``: import, configure), loads a function (``load``:
read it from disk, compile or deserialise it) and runs a fresh instance of it per call (``run``).
- cold: a fresh Python process per iteration (``engine.runtimes.fresh_process``) starts, loads
  and runs once, so the sample pays a whole cold start, the interpreter included; it reports its
  phases as a ``RequestReport`` and is labelled "python process".
- load: the worker is the server (started once); each iteration loads the function and runs it,
  as a FaaS node does on a function's first request.
- warm: the worker keeps the loaded function; each iteration only runs a fresh instance.
"""

from __future__ import annotations

import os
import sys
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar, Optional

from engine import serial
from engine.runtimes.base import Invocation, Job, Runtime, Served
from engine.runtimes.peak_rss import PeakRss
from engine.runtimes.process import run_fresh_process

PROCESS_ENV = ("PATH", "PYTHONPATH", "LD_LIBRARY_PATH")
"""What a fresh Python process keeps of the worker's environment (the 3.9 venv needs the
last)."""


class Embedder(ABC):
    """One engine; ``load`` makes the function runnable, ``run`` instantiates and executes it."""

    guest_on_calling_thread: ClassVar[bool] = True
    """False for an engine that runs guests on threads of its own: a sample's CPU time is
    then the whole process's, not the calling thread's."""

    outputs: Optional[GuestOutputs] = None
    """The guest's output files, when the embedder writes them through descriptors it holds."""

    def __init__(self, job: Job) -> None:
        self.job = job

    @abstractmethod
    def start(self) -> None:
        """Import the engine library and configure an engine: what a server has done."""

    @abstractmethod
    def load(self) -> None:
        """Read the function from disk and compile or deserialise it."""

    @abstractmethod
    def run(self) -> Invocation:
        """Instantiate and run ``_start``; phases ``instantiate`` and ``execute`` are filled in
        (the sample's wall time is the caller's: it times the whole request around this)."""

    def serve_many(self, limit: int, budget_ns: int, silent: bool) -> Optional[Served]:
        """``Runtime.serve_many``, for a warm server that can (None: it cannot)."""
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
    """Runs the embedder in the worker (load, warm) or in a fresh child process per iteration
    (cold)."""

    embedder_class: ClassVar[type[Embedder]]
    kind = "wasm"
    artifact_target = "wasm"
    reply_grace_s = 2.0
    cold_process = "python process"
    embedder: Optional[Embedder] = None
    peak: Optional[PeakRss] = None

    def prepare(self) -> None:
        if self.job.mode == "cold":
            self.embedder_class(self.job).prepare_cold()
            self.job_file = Path(f"{self.job.stdout_path}.job.json")
            self.job_file.write_bytes(serial.encode(self.job))
            return
        self.peak = PeakRss()
        self.embedder = self.embedder_class(self.job)
        self.cpu_clock = time.thread_time_ns if self.embedder.guest_on_calling_thread \
            else time.process_time_ns
        self.embedder.start()
        self.embedder.load()  # load mode too: a function that cannot load fails the cell once

    def peak_window(self) -> Optional[PeakRss]:
        return self.peak

    def serve_many(self, limit: int, budget_ns: int, silent: bool) -> Optional[Served]:
        if self.embedder is None or self.job.mode != "warm":
            return None
        return self.embedder.serve_many(limit, budget_ns, silent)

    def stdout_bytes(self) -> Optional[int]:
        outputs = self.embedder.outputs if self.embedder is not None else None
        return outputs.stdout_bytes() if outputs is not None else None

    def invoke(self) -> Invocation:
        return self._invoke_in_worker() if self.embedder is not None else self._invoke_cold()

    def _invoke_in_worker(self) -> Invocation:
        """A load or warm iteration in the worker, the server (load mode loads the function
        first)."""
        assert self.embedder is not None
        cpu0 = self.cpu_clock()
        t0 = time.perf_counter_ns()
        if self.job.mode == "load":
            self.embedder.load()
        t1 = time.perf_counter_ns()
        inv = self.embedder.run()
        inv.wall_ns = time.perf_counter_ns() - t0
        inv.cpu_ns = self.cpu_clock() - cpu0
        if self.job.mode == "load":
            inv.phases_ns = {"load": t1 - t0, **inv.phases_ns}
        return inv

    def _invoke_cold(self) -> Invocation:
        cls = type(self)
        argv = [sys.executable, "-m", "engine.runtimes.fresh_process",
                f"{cls.__module__}:{cls.__qualname__}", str(self.job_file)]
        env = {k: v for k, v in os.environ.items() if k in PROCESS_ENV}
        return run_fresh_process(sys.executable, argv, self.job,
                                 process_stderr=self.job.stderr_path, env=env)

    def close(self) -> None:
        if self.embedder is not None:
            self.embedder.close()
            self.embedder = None
        if self.peak is not None:
            self.peak.close()
            self.peak = None
