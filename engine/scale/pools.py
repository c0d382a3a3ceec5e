"""Pools of warm instances for ``faasbench scale``, one kind per way of hosting functions.

- ``ServerPool``: an embedded engine's instances in one pool server process
  (``engine.scale.pool_server`` for wasmtime and wasmer, ``node_server.mjs pool`` for node): one
  engine, one compiled module, N ready instances. Its cost is the server's process tree.
- ``ContainerPool``: N running containers, each docker's warm server (``DockerRuntime`` in warm
  mode: the launcher as PID 1 answering requests over FIFOs). Its cost is the containers'
  cgroups plus their containerd shims outside them.

Both take requests for distinct slots from several threads at once, and both are torn down by
``close`` whatever state they are in (containers by their scale label).
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

import psutil

from engine import serial
from engine.runtimes.base import Invocation, Job
from engine.runtimes.docker import cgroups
from engine.runtimes.docker.engine_client import EngineError, connect, engine_address
from engine.runtimes.docker.images import sweep_containers
from engine.runtimes.docker.runtime import CGROUP_ROOT, DockerRuntime
from engine.runtimes.embedded import PROCESS_ENV
from engine.runtimes.node import SERVER_SCRIPT, NodeSpec, node_binary
from engine.runtimes.process import die_with_parent, tail
from engine.scale.memory import (
    MemoryFigures,
    cgroup_usage,
    engine_daemons,
    process_tree,
    shims,
    sizes,
    whole_pss,
)
from engine.scale.messages import (
    Answer,
    Grow,
    Grown,
    PoolReply,
    PoolRequest,
    PoolSpec,
    Ready,
    Refused,
    Serve,
)

SCALE_LABEL = "faasbench.scale"
"""Every container of one scale run carries it (value: the run id), so teardown finds them all."""
CONTAINER_STARTS_AT_ONCE = 4
"""Containers are created and started this many at a time (the engine serialises much of it)."""
SERVER_GONE = object()
"""What a pool server's queues hold once it has stopped."""


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
        self.instances = 0
        """How many instances are up."""

    @abstractmethod
    def start(self) -> None:
        """What every instance shares (the server with its compiled module); PoolError if
        not."""

    @abstractmethod
    def grow(self, count: int, cancelled: Callable[[], bool]) -> None:
        """``count`` more instances, all ready when this returns; PoolError if one fails."""

    @abstractmethod
    def request(self, slot: int, timeout_s: float) -> Reply:
        """Run the function once on ``slot`` (one request per slot at a time)."""

    @abstractmethod
    def memory(self) -> MemoryFigures:
        """What the pool costs this machine now, from the kernel."""

    @abstractmethod
    def close(self) -> None:
        """Stop and remove everything; safe to call twice and after a failure."""


class ServerPool(Pool):
    """Instances in one pool server process (``engine.scale.pool_server``, or node's), spoken to
    in the messages of ``engine.scale.messages``."""

    def __init__(self, runtime: str, job: Job, scratch: Path, concurrency: int) -> None:
        super().__init__(runtime, job, scratch, concurrency)
        self.what = {"node": "a WASI context and instance in one node process"}.get(
            runtime, "a store and instance in one Python process" if runtime == "wasmtime"
            else "a sandbox in one Python process")
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.control: queue.Queue[Union[PoolReply, object]] = queue.Queue()
        self.answers: dict[int, queue.Queue[Union[Answer, object]]] = {}
        self.write_lock = threading.Lock()
        self.log = scratch / "server.log"

    def _argv(self) -> list[str]:
        if self.runtime == "node":
            return [node_binary() or "node", str(SERVER_SCRIPT), "pool",
                    NodeSpec.of(self.job).to_json(), str(self.scratch)]
        spec_file = self.scratch / "pool.json"
        spec_file.write_bytes(serial.encode(PoolSpec(self.runtime, self.job, str(self.scratch),
                                                     self.concurrency)))
        return [sys.executable, "-m", "engine.scale.pool_server", str(spec_file)]

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k in PROCESS_ENV} \
            if self.runtime != "node" else {}
        with self.log.open("w") as log:
            # The server dies with this process (PR_SET_PDEATHSIG), even if it is killed.
            try:
                self.process = subprocess.Popen(self._argv(), stdin=subprocess.PIPE,
                                                stdout=subprocess.PIPE, stderr=log, env=env,
                                                preexec_fn=die_with_parent)
            except OSError as exc:
                raise PoolError(f"cannot start the {self.runtime} pool server: {exc}") from None
        threading.Thread(target=self._read, daemon=True).start()
        reply = self._control(self.job.options.timeout_s)
        if not isinstance(reply, Ready):
            raise PoolError(f"{self.runtime} pool server did not start: "
                            f"{reply.error if isinstance(reply, Refused) else self._why()}")

    def _read(self) -> None:
        """Route the server's replies: a request's to its slot, the rest to the control queue;
        a line that is no reply ends the pool (the server is broken), as its exit does."""
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            try:
                reply = serial.decode(line, PoolReply)
            except serial.SerialError as exc:
                self.garbled = f"it sent {line[:100]!r} ({exc})"
                break
            if isinstance(reply, Answer) and reply.slot in self.answers:
                self.answers[reply.slot].put(reply)
            else:
                self.control.put(reply)
        for waiting in (self.control, *self.answers.values()):
            waiting.put(SERVER_GONE)

    garbled: Optional[str] = None
    """What the server sent that was not a reply, if it did."""

    def _send(self, message: PoolRequest) -> None:
        assert self.process is not None and self.process.stdin is not None
        with self.write_lock:
            self.process.stdin.write(serial.encode(message) + b"\n")
            self.process.stdin.flush()

    def _control(self, timeout_s: float) -> Union[PoolReply, object, None]:
        try:
            return self.control.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def _why(self) -> str:
        return self.garbled or tail(str(self.log)) or "no output"

    def _gone(self) -> str:
        return f"the {self.runtime} pool server stopped: {self._why()}"

    def grow(self, count: int, cancelled: Callable[[], bool]) -> None:
        for slot in range(self.instances, self.instances + count):
            self.answers[slot] = queue.Queue()
        try:
            self._send(Grow(count))
        except OSError:
            raise PoolError(self._gone()) from None
        reply = self._control(self.job.options.timeout_s + count)
        if reply is SERVER_GONE:
            raise PoolError(self._gone())
        if not isinstance(reply, Grown):
            raise PoolError(f"{self.runtime} pool server could not add instances: "
                            f"{reply.error if isinstance(reply, Refused) else 'no answer'}")
        self.instances = reply.slots

    def request(self, slot: int, timeout_s: float) -> Reply:
        try:
            self._send(Serve(slot))
            answer = self.answers[slot].get(timeout=timeout_s)
        except queue.Empty:  # a late answer must not pass for the next request's
            return self._lost(f"timed out (no answer within {timeout_s:g} s)")
        except OSError:
            answer = SERVER_GONE
        if not isinstance(answer, Answer):
            return self._lost(self._gone())
        return Reply(Invocation(wall_ns=0, exit_code=answer.exit_code, error=answer.error),
                     answer.stdout, answer.stderr)

    def _lost(self, why: str) -> Reply:
        """A request that got no answer; its instance serves no more."""
        return Reply(Invocation(wall_ns=0, exit_code=None, error=why), self.job.stdout_path,
                     self.job.stderr_path, lost=True)

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


class ContainerPool(Pool):
    """N running containers, each docker's warm server also labelled with the scale run; each
    slot has its own FIFOs, cgroup and run label (so recovering one slot after a failure
    touches no other)."""

    what = "a running container (launcher as PID 1) plus its containerd shim"

    def __init__(self, runtime: str, job: Job, scratch: Path, concurrency: int) -> None:
        super().__init__(runtime, job, scratch, concurrency)
        self.slots: dict[int, DockerRuntime] = {}
        self.socket = engine_address().removeprefix("unix://")

    def start(self) -> None:
        try:
            connect().close()  # an absent engine fails here, once, with its reason
        except EngineError as exc:
            raise PoolError(str(exc)) from None

    def _slot(self, index: int) -> DockerRuntime:
        folder = self.scratch / f"slot-{index}"
        folder.mkdir()
        job = serial.replace(self.job, run_id=f"{self.job.run_id}-{index}",
                             stdout_path=str(folder / "stdout"),
                             stderr_path=str(folder / "stderr"))
        slot = self.slots[index] = DockerRuntime(job, labels={SCALE_LABEL: self.job.run_id})
        return slot

    def grow(self, count: int, cancelled: Callable[[], bool]) -> None:
        def up(index: int) -> None:
            if cancelled():
                return
            self._slot(index).prepare()

        with ThreadPoolExecutor(max_workers=CONTAINER_STARTS_AT_ONCE) as starts:
            futures = [starts.submit(up, i)
                       for i in range(self.instances, self.instances + count)]
            errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise PoolError(f"a container did not start: {errors[0]}")
        if not cancelled():
            self.instances += count

    def request(self, slot: int, timeout_s: float) -> Reply:
        runtime = self.slots[slot]
        return Reply(runtime.invoke(), runtime.job.stdout_path, runtime.job.stderr_path)

    def memory(self) -> MemoryFigures:
        slots = list(self.slots.values())
        pss, rss, count = shim_sizes(shims(s.container for s in slots if s.container))
        used = sum(cgroup_usage(s.cgroup) for s in slots if s.cgroup is not None)
        return MemoryFigures(pss, rss, count, used, whole_pss(engine_daemons(self.socket)))

    def close(self) -> None:
        def down(slot: DockerRuntime) -> None:
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
    """The pool for a runtime (``engine.spec.scale_spec.SCALE_RUNTIMES`` lists which have one)."""
    cls = ContainerPool if runtime == "docker" else ServerPool
    return cls(runtime, job, scratch, concurrency)

