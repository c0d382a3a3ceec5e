"""``wasmtime``: Wasmtime embedded through wasmtime-py, with optional fuel metering.

Modules are precompiled once (``Module.serialize``) into a ``.cwasm`` beside the ``.wasm``,
keyed by the wasmtime version and the engine settings that change generated code: that file
is the deployed function, which load and warm hosts deserialise. Traps and out-of-fuel
surface as traps; a non-zero exit as an exit status; a memory cap is a store limit (malloc
then returns NULL). Nothing slows the generated code: no epoch interruption (a guest past the
timeout is stopped by the controller killing the worker) and no fuel unless ``--fuel`` asks.

A request costs what Wasmtime makes it cost, not what Python adds: imports are resolved once
(an ``InstancePre``), instances come from the pooling allocator (a reused slot whose memory is
reset to the module's copy-on-write image), and each request runs as a handful of direct calls
into Wasmtime's C API with all it needs prepared beforehand (see ``LeanRequests``). Each
request still gets a fresh store, instance, linear memory and WASI context.
"""

from __future__ import annotations

import ctypes
import hashlib
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar, Optional

from ..files import write_atomic
from .base import Availability, Invocation, Job, distribution_bytes
from .embedded import EmbeddedHost, EmbeddedRuntime, GuestOutputs

FUEL_BUDGET = 1 << 62
POOL_SLOTS = 2
"""Instance slots of the pooling allocator: one request runs at a time; a second slot lets a
load iteration's freshly loaded module start while the previous one's slot is still warm."""


@dataclass(frozen=True)
class Tuning:
    """How a host serves requests. The default is the fastest correct configuration; the
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
    lean_requests: bool = True
    """``LeanRequests`` instead of wasmtime-py's object API per request."""
    untyped_calls: bool = True
    """Lean requests call the C API without ctypes converting each argument to wasmtime-py's
    declared types (``_untyped``)."""

    def __post_init__(self) -> None:
        if self.lean_requests and not self.instance_pre:
            raise ValueError("lean requests instantiate through the InstancePre")


def _version() -> str:
    return metadata.version("wasmtime")


def cwasm_path(wasm: Path, fuel: bool, memory_init_cow: bool = True) -> Path:
    """Where the precompiled module for these settings is cached: the name carries every
    engine setting the compiled module records (wasmtime refuses a module built otherwise)."""
    settings = f"fuel={fuel};epoch-interruption=False;memory-init-cow={memory_init_cow}"
    tag = hashlib.sha256(settings.encode()).hexdigest()[:8]
    return wasm.with_name(f"{wasm.stem}.wasmtime-{_version()}-{tag}.cwasm")


def _trap_error(trap: Any) -> str:
    """A trap as the sample's error: its code and the cause (the last line of wasmtime's
    message; the first is a backtrace header)."""
    lines = [line.strip() for line in str(trap).splitlines() if line.strip()]
    return f"trap ({trap.trap_code}): {lines[-1] if lines else type(trap).__name__}"


def _untyped(dll: Any, name: str) -> Any:
    """``name`` from ``dll`` without its argument types: ctypes then converts nothing per call.
    Converting to wasmtime-py's declared argument types costs 1-2 µs a call, about 20 µs of a
    warm request (see the ablation), so every argument passed to it is prepared as C data."""
    twin = dll[name]  # indexing makes a fresh function object (attribute access caches one)
    twin.restype = getattr(dll, name).restype
    return twin


class LeanRequests:
    """Fresh instances of one module through Wasmtime's C API (``wasmtime._ffi``, the bindings
    wasmtime-py itself calls), doing per request only what a FaaS host must.

    Prepared once: the C functions (``_untyped``), every argument that does not change as C
    data, the out-parameters, and the output files (``GuestOutputs``); the guest's writes go
    straight to them through libc ``write`` as WASI's custom output callback, with no Python in
    between. Per request: both output files are emptied, then come a store (memory limit,
    fuel), a WASI context (argv, the read-only preopen, stdout and stderr), an instance from
    the ``InstancePre``, the ``_start`` export by name and the call; the memory size and fuel
    are read back and the store is deleted, which returns the instance's slot to the pool (the
    "teardown" phase, inside the request's wall time).
    """

    def __init__(self, wt: Any, engine: Any, job: Job, untyped: bool) -> None:
        dll = wt._ffi.dll
        self.wt, self.ffi, self.job = wt, wt._ffi, job
        function = _untyped if untyped else getattr
        (self.store_new, self.store_context, self.store_limiter, self.store_delete,
         self.set_fuel, self.get_fuel, self.wasi_new, self.wasi_argv, self.wasi_stdout,
         self.wasi_stderr, self.wasi_preopen, self.set_wasi, self.instantiate, self.export_get,
         self.call, self.memory_size) = (function(dll, name) for name in (
            "wasmtime_store_new", "wasmtime_store_context", "wasmtime_store_limiter",
            "wasmtime_store_delete", "wasmtime_context_set_fuel", "wasmtime_context_get_fuel",
            "wasi_config_new", "wasi_config_set_argv", "wasi_config_set_stdout_custom",
            "wasi_config_set_stderr_custom", "wasi_config_preopen_dir",
            "wasmtime_context_set_wasi", "wasmtime_instance_pre_instantiate",
            "wasmtime_instance_export_get", "wasmtime_func_call", "wasmtime_memory_data_size"))
        self.engine_ptr = engine.ptr()
        self.no_store_finalizer = dll.wasmtime_store_new.argtypes[2]()
        self.no_output_finalizer = dll.wasi_config_set_stdout_custom.argtypes[3]()
        # libc's write(int fd, const void *buf, size_t n) has the callback's shape, with the
        # callback's data pointer as the fd.
        libc_write = ctypes.cast(ctypes.CDLL(None).write, ctypes.c_void_p).value
        self.write = dll.wasi_config_set_stdout_custom.argtypes[1](libc_write)
        args = (ctypes.c_char_p * len(job.argv))(*(arg.encode() for arg in job.argv))
        self.argc = ctypes.c_size_t(len(job.argv))
        self.argv = ctypes.cast(args, ctypes.POINTER(ctypes.POINTER(ctypes.c_char)))
        # char arrays: typed calls take them as char *, as untyped ones do
        self.host_dir = ctypes.create_string_buffer(job.host_dir.encode())
        self.guest_dir = ctypes.create_string_buffer(job.guest_dir.encode())
        self.limits = (ctypes.c_int64(job.options.wasm_memory_bytes),
                       *(ctypes.c_int64(-1) for _ in range(4)))  # the rest: no limit
        self.fuel, self.fuel_budget = job.options.fuel, ctypes.c_uint64(FUEL_BUDGET)
        self.start_name = ctypes.create_string_buffer(b"_start")
        self.memory_name = ctypes.create_string_buffer(b"memory")
        self.start_length = ctypes.c_size_t(len(self.start_name.value))
        self.memory_length = ctypes.c_size_t(len(self.memory_name.value))
        self.no_values = ctypes.c_size_t(0)
        self.outputs = GuestOutputs(job)
        self.stdout_fd = ctypes.c_void_p(self.outputs.stdout)
        self.stderr_fd = ctypes.c_void_p(self.outputs.stderr)
        self.instance, self.item = self.ffi.wasmtime_instance_t(), self.ffi.wasmtime_extern_t()
        self.fuel_left = ctypes.c_uint64()
        self.instance_ref, self.item_ref = ctypes.byref(self.instance), ctypes.byref(self.item)
        self.func_ref = ctypes.byref(self.item.of.func)
        self.memory_ref = ctypes.byref(self.item.of.memory)
        self.fuel_ref = ctypes.byref(self.fuel_left)
        self._new_trap_slot()

    def load(self, module: Any, pre: Any) -> None:
        """Serve ``module`` from now on (``pre`` is its InstancePre, kept alive here)."""
        exports = {e.name: e.type for e in module.exports}
        if not isinstance(exports.get("_start"), self.wt.FuncType):
            raise self.wt.WasmtimeError("the module exports no _start function")
        self.has_memory = isinstance(exports.get("memory"), self.wt.MemoryType)
        self.pre, self.pre_ptr = pre, pre.ptr()

    def close(self) -> None:
        self.outputs.close()

    def run(self) -> Invocation:
        """One request, to the deletion of its store: a request ends when its instance is gone,
        as a native or container request ends when its process has exited."""
        self.outputs.reset()
        t0 = time.perf_counter_ns()
        store = self.store_new(self.engine_ptr, None, self.no_store_finalizer)
        try:
            inv = self._run(store, self.store_context(store), t0)
        finally:
            deleting = time.perf_counter_ns()
            self.store_delete(store)
        if "execute" in inv.phases_ns:
            inv.phases_ns["teardown"] = time.perf_counter_ns() - deleting
        return inv

    def _run(self, store: Any, cx: Any, t0: int) -> Invocation:
        self.store_limiter(store, *self.limits)
        if self.fuel:
            self._check(self.set_fuel(cx, self.fuel_budget))
        wasi = self.wasi_new()
        self.wasi_argv(wasi, self.argc, self.argv)
        self.wasi_stdout(wasi, self.write, self.stdout_fd, self.no_output_finalizer)
        self.wasi_stderr(wasi, self.write, self.stderr_fd, self.no_output_finalizer)
        if not self.wasi_preopen(wasi, self.host_dir, self.guest_dir, False):
            self.ffi.wasi_config_delete(wasi)
            raise self.wt.WasmtimeError(f"cannot preopen {self.job.host_dir}")
        self._check(self.set_wasi(cx, wasi))  # takes the config, even when it fails
        error = self.instantiate(self.pre_ptr, cx, self.instance_ref, self.trap_ref)
        if error or self.trap:
            failure = self._take_trap() if self.trap else self.wt.WasmtimeError._from_ptr(error)
            return Invocation(wall_ns=0, exit_code=None, error=f"instantiation failed: {failure}")
        t1 = time.perf_counter_ns()
        self.export_get(cx, self.instance_ref, self.start_name, self.start_length, self.item_ref)
        error = self.call(cx, self.func_ref, None, self.no_values, None, self.no_values,
                          self.trap_ref)
        t2 = time.perf_counter_ns()
        exit_code: Optional[int] = 0
        message = None
        if self.trap:
            exit_code, message = None, _trap_error(self._take_trap())
        elif error:
            failure = self.wt.WasmtimeError._from_ptr(error)
            if not isinstance(failure, self.wt.ExitTrap):
                raise failure
            exit_code = failure.code
        memory = None
        if self.has_memory:
            self.export_get(cx, self.instance_ref, self.memory_name, self.memory_length,
                            self.item_ref)
            memory = self.memory_size(cx, self.memory_ref)
        fuel = None
        if self.fuel:
            self._check(self.get_fuel(cx, self.fuel_ref))
            fuel = FUEL_BUDGET - self.fuel_left.value
        return Invocation(wall_ns=t2 - t0, exit_code=exit_code, error=message,
                          phases_ns={"instantiate": t1 - t0, "execute": t2 - t1},
                          fuel=fuel, guest_memory_bytes=memory)

    def _new_trap_slot(self) -> None:
        self.trap = ctypes.POINTER(self.ffi.wasm_trap_t)()
        self.trap_ref = ctypes.byref(self.trap)

    def _take_trap(self) -> Any:
        """The pending trap, handed to a ``wasmtime.Trap`` (which frees it), and a fresh slot
        for the next one."""
        trap = self.wt.Trap._from_ptr(self.trap)
        self._new_trap_slot()
        return trap

    def _check(self, error: Any) -> None:
        if error:
            raise self.wt.WasmtimeError._from_ptr(error)


class WasmtimeHost(EmbeddedHost):
    """Engine + precompiled module; each ``run`` gets a fresh store, WASI context and instance."""

    tuning: ClassVar[Tuning] = Tuning()
    requests: Optional[LeanRequests] = None

    def start(self) -> None:
        import wasmtime

        self.wasmtime = wasmtime
        self.engine = wasmtime.Engine(self._config())
        self.compiled = cwasm_path(Path(self.job.artifact), self.job.options.fuel,
                                   self.tuning.memory_init_cow)
        self.precompile()
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        self.requests = LeanRequests(wasmtime, self.engine, self.job, self.tuning.untyped_calls) \
            if self.tuning.lean_requests else None
        self.outputs = self.requests.outputs if self.requests is not None else None

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
            return None, _trap_error(exc)
        return 0, None

    def _memory_size(self, store: Any, instance: Any) -> Optional[int]:
        memory = instance.exports(store).get("memory")
        return memory.data_len(store) if isinstance(memory, self.wasmtime.Memory) else None


class WasmtimeRuntime(EmbeddedRuntime):
    name = "wasmtime"
    host_class: ClassVar[type[WasmtimeHost]] = WasmtimeHost
    counts_fuel = True
    has_memory_limit = True

    @classmethod
    def installed_bytes(cls) -> Optional[int]:
        return distribution_bytes("wasmtime")

    def artifact_bytes(self) -> Optional[int]:
        """The precompiled module: what a host deploys and loads."""
        return cwasm_path(Path(self.job.artifact), self.job.options.fuel,
                          self.host_class.tuning.memory_init_cow).stat().st_size

    @classmethod
    def available(cls) -> Availability:
        try:
            import wasmtime

            wasmtime.Engine()
        except Exception as exc:  # ImportError, or a wheel that cannot load on this host
            return Availability(False, reason=f"wasmtime-py cannot load: {exc}",
                                fix="python3 -m pip install 'wasmtime==50.0.1'")
        return Availability(True, version=_version(),
                            details={"package": "wasmtime", "compiler": "cranelift"})
