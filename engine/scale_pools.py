"""Pools of warm instances for ``faasbench scale``, one kind per way of hosting functions.

- ``HostPool``: an embedded engine's instances in one host process (``engine.scale_host`` for
  wasmtime and wasmer, ``node_host.mjs pool`` for node): one engine, one compiled module, N
  ready instances. Its cost is the host's process tree.
- ``ContainerPool``: N running containers, each docker's warm host (``DockerRuntime`` in warm
  mode: the launcher as PID 1 answering requests over FIFOs). Its cost is the containers'
  cgroups plus their containerd shims outside them.

Both take requests for distinct slots from several threads at once, and both are torn down by
``close`` whatever state they are in (containers by their scale label).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Optional

import psutil

from . import cgroups
from .docker_engine import EngineError, connect, engine_host
from .docker_images import sweep_containers
from .host_memory import (
    MemoryFigures,
    cgroup_usage,
    engine_daemons,
    process_tree,
    shims,
    sizes,
    whole_pss,
)
from .protocol import NodeSpec
from .runtimes.base import Invocation, Job
from .runtimes.docker import CGROUP_ROOT, DockerRuntime
from .runtimes.embedded import HOST_ENV
from .runtimes.node import HOST_SCRIPT
from .runtimes.process import tail
from .scale_host import PoolSpec
from .worker import die_with_parent

SCALE_LABEL = "faasbench.scale"
"""Every container of one scale run carries it (value: the run id), so teardown finds them all."""
CONTAINER_STARTS_AT_ONCE = 4
"""Containers are created and started this many at a time (the engine serialises much of it)."""
HOST_GONE = object()


class PoolError(RuntimeError):
    """The pool cannot grow or start; the message says why."""


@dataclass(frozen=True)
class Reply:
    """A request's answer: what the guest did, and where its output is, to be checked."""

    inv: Invocation
    stdout: str
    stderr: str
    lost: bool = False
    """The instance gave no answer in time (a guest still running): it serves no more."""


class Pool(ABC):
    """N warm instances of one function; ``slot`` numbers them from 0."""

    what: str = ""
    """What one instance is here (shown beside the figures)."""

    def __init__(self, runtime: str, job: Job, scratch: Path, concurrency: int) -> None:
        self.runtime, self.job, self.scratch, self.concurrency = runtime, job, scratch, concurrency
        self.size = 0

    @abstractmethod
    def start(self) -> None:
        """What every instance shares (the host with its compiled module); PoolError if not."""

    @abstractmethod
    def grow(self, count: int, cancelled: Callable[[], bool]) -> None:
        """``count`` more instances, all ready when this returns; PoolError if one fails."""

    @abstractmethod
    def request(self, slot: int, timeout_s: float) -> Reply:
        """Run the function once on ``slot`` (one request per slot at a time)."""

    @abstractmethod
    def memory(self) -> MemoryFigures:
        """What the pool costs the host now, from the kernel."""

    @abstractmethod
    def close(self) -> None:
        """Stop and remove everything; safe to call twice and after a failure."""


class HostPool(Pool):
    """Instances in one host process, spoken to in JSON lines (engine/scale_host.py)."""

    def __init__(self, runtime: str, job: Job, scratch: Path, concurrency: int) -> None:
        super().__init__(runtime, job, scratch, concurrency)
        self.what = {"node": "a WASI context and instance in one node process"}.get(
            runtime, "a store and instance in one Python host process" if runtime == "wasmtime"
            else "a sandbox in one Python host process")
        self.process: Optional[subprocess.Popen[str]] = None
        self.control: queue.Queue[Any] = queue.Queue()
        self.answers: dict[int, queue.Queue[Any]] = {}
        self.write_lock = threading.Lock()
        self.log = scratch / "host.log"

    def _argv(self) -> list[str]:
        if self.runtime == "node":
            from .runtimes.node import node_binary

            job = self.job
            spec = NodeSpec(job.artifact, job.argv, job.host_dir, job.guest_dir, job.stdout_path,
                            job.stderr_path)
            return [node_binary() or "node", str(HOST_SCRIPT), "pool", spec.to_json(),
                    str(self.scratch)]
        spec_file = self.scratch / "pool.json"
        spec_file.write_text(PoolSpec(self.runtime, self.job, str(self.scratch),
                                      self.concurrency).to_json())
        return [sys.executable, "-m", "engine.scale_host", str(spec_file)]

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k in HOST_ENV} \
            if self.runtime != "node" else {}
        with self.log.open("w") as log:
            # The host dies with this process (PR_SET_PDEATHSIG), even if it is killed.
            try:
                self.process = subprocess.Popen(self._argv(), stdin=subprocess.PIPE,
                                                stdout=subprocess.PIPE, stderr=log, text=True,
                                                env=env, preexec_fn=die_with_parent)
            except OSError as exc:
                raise PoolError(f"cannot start the {self.runtime} host: {exc}") from None
        threading.Thread(target=self._read, daemon=True).start()
        line = self._control(self.job.options.timeout_s)
        if line != "ready":
            raise PoolError(f"{self.runtime} host did not start: "
                            f"{line if isinstance(line, str) else tail(str(self.log))}")

    def _read(self) -> None:
        """Route the host's answers: a request's to its slot, the rest to the control queue."""
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            try:
                data = json.loads(line)
            except ValueError:
                self.control.put(line.strip())
                continue
            if isinstance(data, dict) and "slot" in data:
                self.answers[data["slot"]].put(data)
            else:
                self.control.put(data)
        for waiting in (self.control, *self.answers.values()):
            waiting.put(HOST_GONE)

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process is not None and self.process.stdin is not None
        with self.write_lock:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()

    def _control(self, timeout_s: float) -> Any:
        try:
            return self.control.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def _gone(self) -> str:
        return f"the {self.runtime} host stopped: {tail(str(self.log)) or 'no output'}"

    def grow(self, count: int, cancelled: Callable[[], bool]) -> None:
        for slot in range(self.size, self.size + count):
            self.answers[slot] = queue.Queue()
        try:
            self._send({"op": "grow", "count": count})
        except OSError:
            raise PoolError(self._gone()) from None
        answer = self._control(self.job.options.timeout_s + count)
        if answer is HOST_GONE:
            raise PoolError(self._gone())
        if not isinstance(answer, dict) or "slots" not in answer:
            raise PoolError(f"{self.runtime} host could not add instances: "
                            f"{answer.get('error') if isinstance(answer, dict) else 'no answer'}")
        self.size = answer["slots"]

    def request(self, slot: int, timeout_s: float) -> Reply:
        stdout, stderr = self.job.stdout_path, self.job.stderr_path
        lost = False
        try:
            self._send({"op": "run", "slot": slot})
            answer = self.answers[slot].get(timeout=timeout_s)
        except queue.Empty:  # a late answer must not pass for the next request's
            answer, lost = {"error": f"timed out (no answer within {timeout_s:g} s)"}, True
        except OSError:
            answer = HOST_GONE
        if answer is HOST_GONE:
            answer, lost = {"error": self._gone()}, True
        inv = Invocation(wall_ns=0, exit_code=answer.get("exit_code"), error=answer.get("error"))
        return Reply(inv, answer.get("stdout", stdout), answer.get("stderr", stderr), lost)

    def memory(self) -> MemoryFigures:
        pss, rss, count = sizes(process_tree(self.process.pid) if self.process else [])
        return MemoryFigures(pss, rss, count)

    def close(self) -> None:
        if self.process is None:
            return
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self.process = None


class ContainerSlot(DockerRuntime):
    """One container of a pool: docker's warm host, also labelled with the scale run."""

    scale_id = ""

    def _create(self, *args: Any, **kwargs: Any) -> str:
        self.labels[SCALE_LABEL] = self.scale_id
        return super()._create(*args, **kwargs)


class ContainerPool(Pool):
    """N running containers; each slot has its own FIFOs, cgroup and run label (so recovering
    one slot after a failure touches no other)."""

    what = "a running container (launcher as PID 1) plus its containerd shim"

    def __init__(self, runtime: str, job: Job, scratch: Path, concurrency: int) -> None:
        super().__init__(runtime, job, scratch, concurrency)
        self.slots: dict[int, ContainerSlot] = {}
        self.socket = engine_host().removeprefix("unix://")

    def start(self) -> None:
        try:
            connect().close()  # an absent engine fails here, once, with its reason
        except EngineError as exc:
            raise PoolError(str(exc)) from None

    def _slot(self, index: int) -> ContainerSlot:
        folder = self.scratch / f"slot-{index}"
        folder.mkdir()
        job = replace(self.job, run_id=f"{self.job.run_id}-{index}",
                      stdout_path=str(folder / "stdout"), stderr_path=str(folder / "stderr"))
        slot = ContainerSlot(job)
        slot.scale_id = self.job.run_id
        self.slots[index] = slot
        return slot

    def grow(self, count: int, cancelled: Callable[[], bool]) -> None:
        def up(index: int) -> None:
            if cancelled():
                return
            self._slot(index).prepare()

        with ThreadPoolExecutor(max_workers=CONTAINER_STARTS_AT_ONCE) as starts:
            futures = [starts.submit(up, i) for i in range(self.size, self.size + count)]
            errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise PoolError(f"a container did not start: {errors[0]}")
        if not cancelled():
            self.size += count

    def request(self, slot: int, timeout_s: float) -> Reply:
        runtime = self.slots[slot]
        return Reply(runtime.invoke(), runtime.job.stdout_path, runtime.job.stderr_path)

    def memory(self) -> MemoryFigures:
        slots = list(self.slots.values())
        pss, rss, count = shim_sizes(shims(s.container for s in slots if s.container))
        used = sum(cgroup_usage(s.cgroup) for s in slots if s.cgroup is not None)
        return MemoryFigures(pss, rss, count, used, whole_pss(engine_daemons(self.socket)))

    def close(self) -> None:
        def down(slot: ContainerSlot) -> None:
            with contextlib.suppress(Exception):  # the label sweep removes what this could not
                slot.close()
            cgroups.remove(f"{CGROUP_ROOT}/{slot.job.run_id}")

        with ThreadPoolExecutor(max_workers=CONTAINER_STARTS_AT_ONCE) as stops:
            list(stops.map(down, list(self.slots.values())))
        self.slots = {}
        sweep(self.job.run_id)


def shim_sizes(found: list[psutil.Process]) -> tuple[int, int, int]:
    """``sizes`` of the containers' shims, all of them: a shim is part of its container's
    cost, so a sum without the ones this user cannot read (root's, for another user) would
    understate every container; PoolError then."""
    pss, rss, count = sizes(found)
    if count < len(found):
        raise PoolError(f"{len(found) - count} of {len(found)} containerd shims could not be read "
                        "(they belong to root, or exited): a container's cost includes its "
                        "shim, so run faasbench scale as root to measure docker")
    return pss, rss, count


def sweep(run_id: str) -> None:
    """Remove every container of a scale run, by label."""
    sweep_containers(f"{SCALE_LABEL}={run_id}")


def make_pool(runtime: str, job: Job, scratch: Path, concurrency: int) -> Pool:
    """The pool for a runtime (``engine.scale_spec.SCALE_RUNTIMES`` lists which have one)."""
    cls = ContainerPool if runtime == "docker" else HostPool
    return cls(runtime, job, scratch, concurrency)

