"""``wasmtime``: Wasmtime embedded through wasmtime-py, with optional fuel metering.

Modules are precompiled once (``Module.serialize``) into a ``.cwasm`` beside the ``.wasm``,
keyed by the wasmtime version and the engine settings that change generated code: that file
is the deployed function, which load and warm hosts deserialise. Traps and out-of-fuel
surface as traps; a non-zero exit as an exit status; a memory cap is a store limit (malloc
then returns NULL). Nothing slows the generated code: no epoch interruption (a guest past the
timeout is stopped by the controller killing the worker) and no fuel unless ``--fuel`` asks.

A request costs what Wasmtime makes it cost, not what Python adds: imports are resolved once
(an ``InstancePre``), instances come from the pooling allocator (a reused slot whose memory is
reset to the module's copy-on-write image), and requests are served back to back by a loop in
C making direct calls into Wasmtime's C API, with all they need prepared beforehand (see
``loop``). Each request still gets a fresh store, instance, linear memory and WASI
context.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, Optional

from engine.files import write_atomic
from engine.runtimes.base import Availability, Invocation, Served, distribution_bytes
from engine.runtimes.embedded import EmbeddedRuntime, Embedder
from engine.runtimes.wasmtime.lean import FUEL_BUDGET, GuestRequests, LeanRequests, trap_error
from engine.runtimes.wasmtime.loop import LoopRequests

POOL_SLOTS = 2
"""Instance slots of the pooling allocator: one request runs at a time; a second slot lets a
load iteration's freshly loaded module start while the previous one's slot is still warm."""


@dataclass(frozen=True)
class Tuning:
    """How an embedder serves requests. The default is the fastest correct configuration; the
    switches are there to measure what each part is worth (the ablation). Every request is a
    fresh instance with fresh memory and WASI state whatever the switches say."""

    instance_pre: bool = True
    """Resolve the module's imports once (``Linker.instantiate_pre``), not per request."""
    pooling: bool = True
    """The pooling allocator: instances, memories and tables in reused slots instead of a
    fresh mapping (and its unmapping) per request."""
    memory_init_cow: bool = True
    """Initialise linear memory by mapping the module's memory image copy-on-write (Wasmtime's
    default) instead of copying the data segments in."""
    calls: str = "loop"
    """How a request's calls reach Wasmtime (``CALLS``)."""

    def __post_init__(self) -> None:
        if self.calls not in CALLS:
            raise ValueError(f"calls is one of {', '.join(CALLS)}, not {self.calls!r}")
        if self.calls != "objects" and not self.instance_pre:
            raise ValueError("lean requests instantiate through the InstancePre")


CALLS = {
    "objects": "wasmtime-py's object API",
    "typed": "direct C-API calls from Python (LeanRequests), ctypes converting each argument "
             "to wasmtime-py's declared types",
    "untyped": "the same calls without conversions (wasmtime_lean.without_argtypes)",
    "loop": "the same calls made by a loop in C, silent requests back to back (loop; "
            "a cold sample's fresh process, which makes one request, makes the untyped calls)",
}


def _version() -> str:
    return metadata.version("wasmtime")


def cwasm_path(wasm: Path, fuel: bool, memory_init_cow: bool = True) -> Path:
    """Where the precompiled module for these settings is cached: the name carries every
    engine setting the compiled module records (wasmtime refuses a module built otherwise)."""
    settings = f"fuel={fuel};epoch-interruption=False;memory-init-cow={memory_init_cow}"
    tag = hashlib.sha256(settings.encode()).hexdigest()[:8]
    return wasm.with_name(f"{wasm.stem}.wasmtime-{_version()}-{tag}.cwasm")


class WasmtimeEmbedder(Embedder):
    """Engine + precompiled module; each ``run`` gets a fresh store, WASI context and instance."""

    tuning: ClassVar[Tuning] = Tuning()
    requests: Optional[GuestRequests] = None

    def start(self) -> None:
        import wasmtime

        self.wasmtime = wasmtime
        self.engine = wasmtime.Engine(self._config())
        self.compiled = cwasm_path(Path(self.job.artifact), self.job.options.fuel,
                                   self.tuning.memory_init_cow)
        self.precompile()
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        self.requests = self._requests()
        self.outputs = self.requests.outputs if self.requests is not None else None

    def _requests(self) -> Optional[GuestRequests]:
        """How requests are made (``Tuning.calls``). A cold sample's fresh process makes one:
        it takes the Python calls, as the loop would only add finding and loading its library
        to every cold start."""
        calls = self.tuning.calls
        if calls == "loop" and self.job.mode != "cold":
            return LoopRequests(self.wasmtime, self.engine, self.job)
        if calls == "objects":
            return None
        return LeanRequests(self.wasmtime, self.engine, self.job, untyped=calls != "typed")

    def _config(self) -> Any:
        """The engine settings; only ``consume_fuel`` and ``memory_init_cow`` are recorded in
        the compiled module (``cwasm_path``)."""
        wt, tuning = self.wasmtime, self.tuning
        config = wt.Config()
        config.consume_fuel = self.job.options.fuel
        config.memory_init_cow = tuning.memory_init_cow
        if tuning.pooling:
            ffi = wt._ffi
            pool = ffi.wasmtime_pooling_allocation_config_new()
            try:
                # Wasmtime's defaults reserve ~4 TiB of address space for 1000 of everything.
                # Slots keep the default 4 GiB memory maximum: the cap is the store's limit,
                # as without the pool, so a module over it fails per request, not to load.
                for setting in ("total_core_instances", "total_memories", "total_tables",
                                "total_stacks", "total_gc_heaps", "total_component_instances"):
                    getattr(ffi, f"wasmtime_pooling_allocation_config_{setting}_set")(
                        pool, POOL_SLOTS)
                ffi.wasmtime_pooling_allocation_strategy_set(config.ptr(), pool)
            finally:
                ffi.wasmtime_pooling_allocation_config_delete(pool)
        return config

    def precompile(self) -> None:
        """The precompiled module a FaaS node would store, made once per wasmtime and settings."""
        if not self.compiled.exists():
            module = self.wasmtime.Module.from_file(self.engine, self.job.artifact)
            write_atomic(self.compiled, module.serialize())

    def prepare_cold(self) -> None:
        self.start()
        self.close()

    def load(self) -> None:
        self.module = self.wasmtime.Module.deserialize_file(self.engine, str(self.compiled))
        self.pre = self.linker.instantiate_pre(self.module) if self.tuning.instance_pre \
            else None
        if self.requests is not None:
            self.requests.load(self.module, self.pre)

    def close(self) -> None:
        if self.requests is not None:
            self.requests.close()
            self.requests = self.outputs = None

    def run(self) -> Invocation:
        if self.requests is not None:
            return self.requests.run()
        return self._run_with_objects()

    def serve_many(self, limit: int, budget_ns: int, silent: bool) -> Optional[Served]:
        if self.requests is None:
            return None
        return self.requests.serve(limit, budget_ns, silent)

    def _run_with_objects(self) -> Invocation:
        """A request through wasmtime-py's object API, which ``LeanRequests`` is measured
        against: it reopens the output files and wraps every export of the instance."""
        t0 = time.perf_counter_ns()
        try:
            store, instance = self.instance_for(self.job.stdout_path, self.job.stderr_path)
        except (self.wasmtime.WasmtimeError, self.wasmtime.Trap) as exc:
            return Invocation(wall_ns=0, exit_code=None, error=f"instantiation failed: {exc}")
        t1 = time.perf_counter_ns()
        exit_code, error = self.start_instance(store, instance)
        t2 = time.perf_counter_ns()
        return Invocation(wall_ns=t2 - t0, exit_code=exit_code, error=error,
                          phases_ns={"instantiate": t1 - t0, "execute": t2 - t1},
                          fuel=FUEL_BUDGET - store.get_fuel() if self.job.options.fuel else None,
                          guest_memory_bytes=self._memory_size(store, instance))

    def instance_for(self, stdout_path: str, stderr_path: str) -> tuple[Any, Any]:
        """A fresh store (memory limit, fuel, WASI context writing to these files) and an
        instance in it, ready to run: ``faasbench scale`` keeps many of these at once."""
        wt, job = self.wasmtime, self.job
        store = wt.Store(self.engine)
        store.set_limits(memory_size=job.options.wasm_memory_bytes)
        if job.options.fuel:
            store.set_fuel(FUEL_BUDGET)
        wasi = wt.WasiConfig()
        wasi.argv = job.argv
        wasi.stdout_file = stdout_path
        wasi.stderr_file = stderr_path
        wasi.preopen_dir(job.host_dir, job.guest_dir, False)
        store.set_wasi(wasi)
        instance = self.pre.instantiate(store) if self.pre is not None else \
            self.linker.instantiate(store, self.module)
        return store, instance

    def start_instance(self, store: Any, instance: Any) -> tuple[Optional[int], Optional[str]]:
        """Run an instance's ``_start`` once: (exit status, None) or (None, the trap)."""
        wt = self.wasmtime
        try:
            instance.exports(store)["_start"](store)
        except wt.ExitTrap as exc:
            return exc.code, None
        except wt.Trap as exc:
            return None, trap_error(exc)
        return 0, None

    def _memory_size(self, store: Any, instance: Any) -> Optional[int]:
        memory = instance.exports(store).get("memory")
        return memory.data_len(store) if isinstance(memory, self.wasmtime.Memory) else None


class WasmtimeRuntime(EmbeddedRuntime):
    name = "wasmtime"
    embedder_class: ClassVar[type[WasmtimeEmbedder]] = WasmtimeEmbedder
    counts_fuel = True
    has_memory_limit = True

    @classmethod
    def installed_bytes(cls) -> Optional[int]:
        return distribution_bytes("wasmtime")

    def artifact_bytes(self) -> Optional[int]:
        """The precompiled module: what a server deploys and loads."""
        return cwasm_path(Path(self.job.artifact), self.job.options.fuel,
                          self.embedder_class.tuning.memory_init_cow).stat().st_size

    @classmethod
    def available(cls) -> Availability:
        try:
            import wasmtime

            wasmtime.Engine()
        except Exception as exc:  # ImportError, or a wheel that cannot load on this machine
            return Availability(False, reason=f"wasmtime-py cannot load: {exc}",
                                fix="python3 -m pip install 'wasmtime==50.0.1'")
        return Availability(True, version=_version(),
                            details={"package": "wasmtime", "compiler": "cranelift"})
