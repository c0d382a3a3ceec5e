"""A pool server for ``faasbench scale``: many warm instances of one function in one process.

``python -m engine.scale.pool_server SPEC`` (a ``PoolSpec`` file) starts the engine and loads the
function once (the runtime's own ``Embedder``: one engine, one compiled module), answers
``Ready``, then the messages of ``engine.scale.messages`` on stdin:

- ``Grow(count)``: that many more instances, each ready to run (instantiated: its store, linear
  memory and WASI context exist); answered ``Grown(slots)``.
- ``Serve(slot)``: run the slot's instance's ``_start``; answered ``Answer`` naming the files its
  output went to, then a fresh instance goes in the slot (every request gets a fresh instance,
  as in ``warm`` mode). Outputs alternate between two files per slot, so refilling never
  truncates an output the pool has yet to check. Requests run on up to ``concurrency`` threads
  (Wasmtime's calls release the GIL; wasmer-sdk's run on its own threads).

The pool measures this process from the outside (``engine.scale.memory``) and checks every
output; the server only runs guests, away from the controller, and dies with it.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import threading
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, Optional

from engine import serial
from engine.errors import one_line
from engine.runtimes.base import Invocation, Job
from engine.runtimes.process import die_with_parent
from engine.runtimes.wasmer import WasmerSdkEmbedder, write_all
from engine.runtimes.wasmtime.runtime import Tuning, WasmtimeEmbedder
from engine.scale.messages import (
    Answer,
    Grow,
    Grown,
    PoolReply,
    PoolRequest,
    PoolSpec,
    Ready,
    Refused,
)


def slot_files(scratch: str, slot: int, generation: int) -> tuple[str, str]:
    """The stdout and stderr files of a slot's instance of this generation (two alternate)."""
    base = f"{scratch}/slot-{slot}-{generation % 2}"
    return f"{base}.out", f"{base}.err"


class Slots(ABC):
    """An engine's ready instances: made, run once, dropped."""

    def __init__(self, job: Job) -> None:
        self.job = job

    @abstractmethod
    def fresh(self, stdout: str, stderr: str) -> Any:
        """A ready instance writing to these files."""

    @abstractmethod
    def run(self, instance: Any, stdout: str, stderr: str) -> Invocation:
        """Run it once (exit status or error; no timing: the controller times requests)."""

    def drop(self, instance: Any) -> None:
        """Release an instance (its files are closed when this returns)."""


class WasmtimeSlots(Slots):
    """A store + instance per slot, from one module's InstancePre. Without the pooling
    allocator: its slots are fixed when the engine is made, the pool's size is not."""

    class Embedder(WasmtimeEmbedder):
        tuning: ClassVar[Tuning] = Tuning(pooling=False, calls="objects")

    def __init__(self, job: Job) -> None:
        super().__init__(job)
        self.embedder = self.Embedder(job)
        self.embedder.start()
        self.embedder.load()

    def fresh(self, stdout: str, stderr: str) -> Any:
        return self.embedder.instance_for(stdout, stderr)

    def run(self, instance: Any, stdout: str, stderr: str) -> Invocation:
        exit_code, error = self.embedder.start_instance(*instance)
        return Invocation(wall_ns=0, exit_code=exit_code, error=error)

    def drop(self, instance: Any) -> None:
        instance[0].close()  # the store: its instance, memory and WASI files go with it


class WasmerSlots(Slots):
    """A wasmer-sdk sandbox per slot, all from one package (compiled once); the SDK's event
    loop runs on a thread of its own, which every slot's calls go through."""

    def __init__(self, job: Job) -> None:
        super().__init__(job)
        if sys.version_info < (3, 11):
            raise RuntimeError("scale runs wasmer through wasmer-sdk, which needs Python 3.11")
        self.embedder = WasmerSdkEmbedder(job)
        self.embedder.start()
        self.embedder.load()
        self.loop = self.embedder.loop
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def _wait(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def fresh(self, stdout: str, stderr: str) -> Any:
        return self._wait(self.embedder.client.sandboxes.create(packages=[self.embedder.package]))

    def run(self, instance: Any, stdout: str, stderr: str) -> Invocation:
        sdk = self.embedder.sdk
        command = instance.command(self.embedder.package, self.embedder.args)
        try:
            output = self._wait(command.run(timeout=self.job.options.timeout_s, check=False))
        except sdk.WasmerError as exc:
            return Invocation(wall_ns=0, exit_code=None, error=f"{exc.code}: {one_line(exc)}")
        for path, data in ((stdout, output.stdout.bytes), (stderr, output.stderr.bytes)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            try:
                write_all(fd, data)
            finally:
                os.close(fd)
        if output.reason is not sdk.ExitReason.EXITED:
            return Invocation(wall_ns=0, exit_code=None,
                              error=f"guest {output.reason.value} (exit status {output.exit_code})")
        return Invocation(wall_ns=0, exit_code=output.exit_code)

    def drop(self, instance: Any) -> None:
        self._wait(instance.close())


SLOTS: dict[str, type[Slots]] = {"wasmtime": WasmtimeSlots, "wasmer": WasmerSlots}


class PoolServer:
    """The slots and their bookkeeping: one request at a time per slot."""

    def __init__(self, spec: PoolSpec, out: BinaryIO) -> None:
        self.spec, self.out = spec, out
        self.slots = SLOTS[spec.runtime](spec.job)
        self.instances: list[Any] = []
        self.generations: list[int] = []
        self.busy: list[threading.Lock] = []
        """Held from a request until its slot is refilled: the next request on the slot
        waits for that, so two instances never write the same generation's files."""
        self.write_lock = threading.Lock()

    def reply(self, message: PoolReply) -> None:
        with self.write_lock:
            self.out.write(serial.encode(message) + b"\n")
            self.out.flush()

    def _fill(self, slot: int) -> Optional[str]:
        """A fresh instance for the slot; why not, if it cannot be made."""
        try:
            self.instances[slot] = self.slots.fresh(*slot_files(self.spec.scratch, slot,
                                                                self.generations[slot]))
        except Exception as exc:  # reported with the next request on this slot
            self.instances[slot] = None
            return f"instantiation failed: {one_line(exc)}"
        return None

    def grow(self, count: int) -> None:
        for _ in range(count):
            self.instances.append(None)
            self.generations.append(0)
            self.busy.append(threading.Lock())
            error = self._fill(len(self.instances) - 1)
            if error is not None:
                self.reply(Refused(error))
                return
        self.reply(Grown(len(self.instances)))

    def serve(self, slot: int) -> None:
        with self.busy[slot]:
            self._serve(slot)

    def _serve(self, slot: int) -> None:
        stdout, stderr = slot_files(self.spec.scratch, slot, self.generations[slot])
        error = self._fill(slot) if self.instances[slot] is None else None
        instance, self.instances[slot] = self.instances[slot], None
        if error is None:
            try:
                inv = self.slots.run(instance, stdout, stderr)
            except Exception as exc:  # an engine failure is this request's, not the server's
                inv = Invocation(wall_ns=0, exit_code=None, error=one_line(exc))
            finally:
                self.slots.drop(instance)
        else:
            inv = Invocation(wall_ns=0, exit_code=None, error=error)
        self.reply(Answer(slot, inv.exit_code, inv.error, stdout, stderr))
        self.generations[slot] += 1
        self._fill(slot)


def allow_open_files() -> None:
    """Raise this process's open-file limit to the hard limit: each wasmtime instance holds
    its two output files open, and each container slot its two FIFOs and an engine socket."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(spec_path: str) -> None:
    die_with_parent()
    allow_open_files()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the answers
    spec = serial.decode(Path(spec_path).read_bytes(), PoolSpec)
    try:
        server = PoolServer(spec, out)
    except Exception as exc:  # the function cannot load: say why and stop
        out.write(serial.encode(Refused(one_line(exc))) + b"\n")
        out.flush()
        return
    server.reply(Ready())
    requests = ThreadPoolExecutor(max_workers=spec.concurrency)
    for line in sys.stdin.buffer:
        message = serial.decode(line, PoolRequest)
        if isinstance(message, Grow):
            server.grow(message.count)
        else:
            requests.submit(server.serve, message.slot)
    # stdin closed: the controller is done (or gone); exit without waiting for a stuck guest.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1])
