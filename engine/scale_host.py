"""A pool host for ``faasbench scale``: many warm instances of one function in one process.

``python -m engine.scale_host SPEC`` (``PoolSpec`` as JSON) starts the engine and loads the
function once (the runtime's own ``EmbeddedHost``: one engine, one compiled module), prints
``ready``, then answers JSON lines on stdin:

- ``{"op": "grow", "count": K}``: K more instances, each ready to run (instantiated: its store,
  linear memory and WASI context exist); answers ``{"slots": total}``.
- ``{"op": "run", "slot": i}``: run instance i's ``_start``; answers ``{"slot": i, "exit_code",
  "error", "stdout", "stderr"}`` naming the files its output went to, then puts a fresh
  instance in the slot (every request gets a fresh instance, as in ``warm`` mode). Outputs
  alternate between two files per slot, so refilling never truncates an output the controller
  has yet to check. Requests run on up to ``concurrency`` threads (Wasmtime's calls release
  the GIL; wasmer-sdk's run on its own threads).

The controller measures this process from the outside (``engine.host_memory``) and checks every
output; the host only runs guests, away from the controller, and dies with it.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import threading
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Optional

import dacite

from .protocol import one_line
from .runtimes.base import Invocation, Job
from .runtimes.wasmer import SdkHost, _write_all
from .runtimes.wasmtime import Tuning, WasmtimeHost
from .worker import die_with_parent


@dataclass(frozen=True)
class PoolSpec:
    """What a pool host serves: the function (a warm-mode job) and how many requests at once."""

    runtime: str
    job: Job
    scratch: str
    """Where each slot's output files go (made and removed by the controller)."""
    concurrency: int

    def to_json(self) -> str:
        return json.dumps(asdict(self))


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

    class Host(WasmtimeHost):
        tuning: ClassVar[Tuning] = Tuning(pooling=False, calls="objects")

    def __init__(self, job: Job) -> None:
        super().__init__(job)
        self.host = self.Host(job)
        self.host.start()
        self.host.load()

    def fresh(self, stdout: str, stderr: str) -> Any:
        return self.host.instance_for(stdout, stderr)

    def run(self, instance: Any, stdout: str, stderr: str) -> Invocation:
        exit_code, error = self.host.start_instance(*instance)
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
        self.host = SdkHost(job)
        self.host.start()
        self.host.load()
        self.loop = self.host.loop
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def _wait(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def fresh(self, stdout: str, stderr: str) -> Any:
        return self._wait(self.host.client.sandboxes.create(packages=[self.host.package]))

    def run(self, instance: Any, stdout: str, stderr: str) -> Invocation:
        sdk = self.host.sdk
        command = instance.command(self.host.package, self.host.args)
        try:
            output = self._wait(command.run(timeout=self.job.options.timeout_s, check=False))
        except sdk.WasmerError as exc:
            return Invocation(wall_ns=0, exit_code=None, error=f"{exc.code}: {one_line(exc)}")
        for path, data in ((stdout, output.stdout.bytes), (stderr, output.stderr.bytes)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
        if output.reason is not sdk.ExitReason.EXITED:
            return Invocation(wall_ns=0, exit_code=None,
                              error=f"guest {output.reason.value} (exit status {output.exit_code})")
        return Invocation(wall_ns=0, exit_code=output.exit_code)

    def drop(self, instance: Any) -> None:
        self._wait(instance.close())


SLOTS: dict[str, type[Slots]] = {"wasmtime": WasmtimeSlots, "wasmer": WasmerSlots}


class PoolHost:
    """The slots and their bookkeeping: one request at a time per slot."""

    def __init__(self, spec: PoolSpec, out: Any) -> None:
        self.spec, self.out = spec, out
        self.slots = SLOTS[spec.runtime](spec.job)
        self.instances: list[Any] = []
        self.generations: list[int] = []
        self.busy: list[threading.Lock] = []
        """Held from a request until its slot is refilled: the next request on the slot
        waits for that, so two instances never write the same generation's files."""
        self.write_lock = threading.Lock()

    def reply(self, data: dict[str, Any]) -> None:
        with self.write_lock:
            self.out.write(json.dumps(data) + "\n")
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
                self.reply({"error": error})
                return
        self.reply({"slots": len(self.instances)})

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
            except Exception as exc:  # an engine failure is this request's, not the host's
                inv = Invocation(wall_ns=0, exit_code=None, error=one_line(exc))
            finally:
                self.slots.drop(instance)
        else:
            inv = Invocation(wall_ns=0, exit_code=None, error=error)
        self.reply({"slot": slot, "exit_code": inv.exit_code, "error": inv.error,
                    "stdout": stdout, "stderr": stderr})
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
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray prints from libraries must not corrupt the answers
    spec = dacite.from_dict(PoolSpec, json.loads(Path(spec_path).read_text()))
    try:
        host = PoolHost(spec, out)
    except Exception as exc:  # the function cannot load: say why and stop
        out.write(f"{one_line(exc)}\n")
        out.flush()
        return
    out.write("ready\n")
    out.flush()
    requests = ThreadPoolExecutor(max_workers=spec.concurrency)
    for line in sys.stdin:
        message = json.loads(line)
        if message["op"] == "grow":
            host.grow(int(message["count"]))
        else:
            requests.submit(host.serve, int(message["slot"]))
    # stdin closed: the controller is done (or gone); exit without waiting for a stuck guest.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1])
