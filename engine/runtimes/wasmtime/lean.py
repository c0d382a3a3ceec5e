"""Wasmtime requests through its C API from Python (``LeanRequests``).

The requests a FaaS server must make, prepared once (``GuestRequests``) and made as direct
ctypes calls into the library wasmtime-py loaded. ``loop`` makes the same calls from C for warm
and load requests; these serve a cold sample's fresh process, which makes one request, and are
the step of the ablation between wasmtime-py's object API and the loop.
"""

from __future__ import annotations

import ctypes
import time
from abc import ABC, abstractmethod
from typing import Any, Optional

from engine.runtimes.base import Invocation, Job, Served
from engine.runtimes.embedded import GuestOutputs

FUEL_BUDGET = 1 << 62


def trap_error(trap: Any) -> str:
    """A trap as the sample's error: its code and the cause (the last line of wasmtime's
    message; the first is a backtrace header)."""
    lines = [line.strip() for line in str(trap).splitlines() if line.strip()]
    return f"trap ({trap.trap_code}): {lines[-1] if lines else type(trap).__name__}"


def without_argtypes(dll: Any, name: str) -> Any:
    """``name`` from ``dll`` without its argument types: ctypes then converts nothing per call.
    Converting to wasmtime-py's declared argument types costs 1-2 µs a call, about 20 µs of a
    warm request (see the ablation), so every argument passed to it is prepared as C data."""
    twin = dll[name]  # indexing makes a fresh function object (attribute access caches one)
    twin.restype = getattr(dll, name).restype
    return twin


C_API = ("wasmtime_store_new", "wasmtime_store_context", "wasmtime_store_limiter",
         "wasmtime_store_delete", "wasmtime_context_set_fuel", "wasmtime_context_get_fuel",
         "wasi_config_new", "wasi_config_set_argv", "wasi_config_set_stdout_custom",
         "wasi_config_set_stderr_custom", "wasi_config_preopen_dir", "wasi_config_delete",
         "wasmtime_context_set_wasi", "wasmtime_instance_pre_instantiate",
         "wasmtime_instance_export_get", "wasmtime_func_call", "wasmtime_memory_data_size",
         "wasmtime_error_exit_status", "wasmtime_error_delete")
"""The C API functions a request calls, in the order of ``loop.c``'s ``struct api``."""


class GuestRequests(ABC):
    """What every request of one module shares, prepared once as C data: argv, the preopened
    directory, the output files (``GuestOutputs``), the slots the instance and its exports are
    written to, and the module's ``InstancePre`` (``load``)."""

    def __init__(self, wt: Any, engine: Any, job: Job) -> None:
        self.wt, self.ffi, self.job = wt, wt._ffi, job
        self.engine_ptr = engine.ptr()
        args = (ctypes.c_char_p * len(job.argv))(*(arg.encode() for arg in job.argv))
        self.argc = ctypes.c_size_t(len(job.argv))
        self.argv = ctypes.cast(args, ctypes.POINTER(ctypes.POINTER(ctypes.c_char)))
        # char arrays: typed calls take them as char *, as untyped ones do
        self.host_dir = ctypes.create_string_buffer(job.host_dir.encode())
        self.guest_dir = ctypes.create_string_buffer(job.guest_dir.encode())
        self.fuel, self.fuel_budget = job.options.fuel, ctypes.c_uint64(FUEL_BUDGET)
        self.outputs = GuestOutputs(job)
        self.instance, self.item = self.ffi.wasmtime_instance_t(), self.ffi.wasmtime_extern_t()

    def load(self, module: Any, pre: Any) -> None:
        """Serve ``module`` from now on (``pre`` is its InstancePre, kept alive here)."""
        exports = {e.name: e.type for e in module.exports}
        if not isinstance(exports.get("_start"), self.wt.FuncType):
            raise self.wt.WasmtimeError("the module exports no _start function")
        self.has_memory = isinstance(exports.get("memory"), self.wt.MemoryType)
        self.pre, self.pre_ptr = pre, pre.ptr()

    def close(self) -> None:
        self.outputs.close()

    def serve(self, limit: int, budget_ns: int, silent: bool) -> Optional[Served]:
        """``Runtime.serve_many``; None: these requests are made one ``run`` at a time."""
        return None

    @abstractmethod
    def run(self) -> Invocation:
        """One request, to the deletion of its store: a request ends when its instance is gone,
        as a native or container request ends when its process has exited."""


class LeanRequests(GuestRequests):
    """Fresh instances of one module through Wasmtime's C API (``wasmtime._ffi``, the bindings
    wasmtime-py itself calls), doing per request only what a FaaS server must.

    Prepared once, besides ``GuestRequests``' data: the C functions (``without_argtypes``), the
    other arguments that do not change, and the out-parameters; the guest's writes go straight
    to the output files through libc ``write`` as WASI's custom output callback, with no Python
    in between. Per request: both output files are emptied, then come a store (memory limit,
    fuel), a WASI context (argv, the read-only preopen, stdout and stderr), an instance from
    the ``InstancePre``, the ``_start`` export by name and the call; the memory size and fuel
    are read back and the store is deleted, which returns the instance's slot to the pool (the
    "teardown" phase, inside the request's wall time).
    """

    def __init__(self, wt: Any, engine: Any, job: Job, untyped: bool) -> None:
        super().__init__(wt, engine, job)
        dll = wt._ffi.dll
        function = without_argtypes if untyped else getattr
        (self.store_new, self.store_context, self.store_limiter, self.store_delete,
         self.set_fuel, self.get_fuel, self.wasi_new, self.wasi_argv, self.wasi_stdout,
         self.wasi_stderr, self.wasi_preopen, self.wasi_delete, self.set_wasi, self.instantiate,
         self.export_get, self.call, self.memory_size, _, _) = (function(dll, name)
                                                                for name in C_API)
        self.no_store_finalizer = dll.wasmtime_store_new.argtypes[2]()
        self.no_output_finalizer = dll.wasi_config_set_stdout_custom.argtypes[3]()
        # libc's write(int fd, const void *buf, size_t n) has the callback's shape, with the
        # callback's data pointer as the fd.
        libc_write = ctypes.cast(ctypes.CDLL(None).write, ctypes.c_void_p).value
        self.write = dll.wasi_config_set_stdout_custom.argtypes[1](libc_write)
        self.limits = (ctypes.c_int64(job.options.wasm_memory_bytes),
                       *(ctypes.c_int64(-1) for _ in range(4)))  # the rest: no limit
        self.start_name = ctypes.create_string_buffer(b"_start")
        self.memory_name = ctypes.create_string_buffer(b"memory")
        self.start_length = ctypes.c_size_t(len(self.start_name.value))
        self.memory_length = ctypes.c_size_t(len(self.memory_name.value))
        self.no_values = ctypes.c_size_t(0)
        self.stdout_fd = ctypes.c_void_p(self.outputs.stdout)
        self.stderr_fd = ctypes.c_void_p(self.outputs.stderr)
        self.fuel_left = ctypes.c_uint64()
        self.instance_ref, self.item_ref = ctypes.byref(self.instance), ctypes.byref(self.item)
        self.func_ref = ctypes.byref(self.item.of.func)
        self.memory_ref = ctypes.byref(self.item.of.memory)
        self.fuel_ref = ctypes.byref(self.fuel_left)
        self._new_trap_slot()

    def run(self) -> Invocation:
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
            self.wasi_delete(wasi)
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
            exit_code, message = None, trap_error(self._take_trap())
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
