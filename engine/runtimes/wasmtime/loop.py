"""Warm and load wasmtime requests served by a loop in C (``loop.c``).

From Python, a request is some fifteen ctypes calls of a microsecond or so each: as much as
Wasmtime's own work for a nop, and more again to time it and check it. The loop makes the same
calls into the same library without Python between them, and serves silent requests back to
back, so a sample is Wasmtime's cost and the worker's per-sample cost is a share of a few
array copies per batch.

The library is compiled once per source and zig version into the cache, for this machine, with
the zig toolchain that builds the guests. The C API's signatures are written out in the C
source for the wasmtime-py this package pins; each is checked against wasmtime-py's own
declaration when the loop is set up, so another version is refused with a reason instead of
being called wrongly.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
from array import array
from pathlib import Path
from typing import Any, Optional

from engine import paths
from engine.build import toolchain
from engine.errors import one_line
from engine.runtimes.base import Invocation, Job, Served
from engine.runtimes.wasmtime.lean import C_API, GuestRequests, trap_error

SOURCE = Path(__file__).with_name("loop.c")
BATCH_LIMIT = 4096
"""Requests per call into the loop at most (its columns are allocated once, this long)."""
ARITY = dict(zip(C_API, (3, 1, 6, 1, 2, 2, 0, 3, 4, 4, 4, 1, 2, 4, 5, 7, 2, 2, 1)))
"""How many arguments the loop passes to each C API function (``struct api``'s typedefs)."""

_Api = type("_Api", (ctypes.Structure,), {"_fields_": [(name, ctypes.c_void_p) for name in C_API]})


class _Output(ctypes.Structure):
    _fields_ = [("fd", ctypes.c_int64), ("written", ctypes.c_int64)]


class _Function(ctypes.Structure):
    _fields_ = [("engine", ctypes.c_void_p), ("pre", ctypes.c_void_p),
                ("argc", ctypes.c_size_t), ("argv", ctypes.c_void_p),
                ("host_dir", ctypes.c_char_p), ("guest_dir", ctypes.c_char_p),
                ("memory_limit", ctypes.c_int64), ("fuel_budget", ctypes.c_uint64),
                ("has_memory", ctypes.c_int32),
                ("out", _Output), ("err", _Output),
                ("instance", ctypes.c_void_p), ("item", ctypes.c_void_p),
                ("func", ctypes.c_void_p), ("memory", ctypes.c_void_p)]


PHASES = ("instantiate", "execute", "teardown")
COLUMNS = ("wall_ns", "cpu_ns", "instantiate_ns", "execute_ns", "teardown_ns", "memory_bytes",
           "fuel")
_Columns = type("_Columns", (ctypes.Structure,),
                {"_fields_": [(name, ctypes.POINTER(ctypes.c_int64)) for name in COLUMNS]})


class _Last(ctypes.Structure):
    _fields_ = [("stage", ctypes.c_int32), ("exit_code", ctypes.c_int32),
                ("error", ctypes.c_void_p), ("trap", ctypes.c_void_p)]


RAN, SETUP_FAILED, PREOPEN_FAILED, INSTANTIATION_FAILED = range(4)
"""``_Last.stage``: how far the last request got (``enum stage``)."""


def library_path() -> Path:
    """Where the compiled loop is cached: named by its source, the compiler and the target."""
    key = hashlib.sha256(SOURCE.read_bytes() + toolchain.zig_version().encode()
                         + toolchain.native_target("glibc").encode()).hexdigest()[:12]
    return paths.cache_dir() / "helpers" / f"wasmtime_loop-{key}.so"


@functools.lru_cache(maxsize=1)
def library() -> Any:
    """The loop, compiled on first use (ToolchainError when it cannot be)."""
    path = library_path()
    if not path.exists():
        toolchain.compile_c(SOURCE, path, ["-target", toolchain.native_target("glibc"),
                                           "-shared", "-fPIC", "-O2", "-Wall", "-Wextra"])
    serve = ctypes.CDLL(str(path)).faasbench_serve
    serve.restype = ctypes.c_int
    serve.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                      ctypes.c_int64, ctypes.c_bool, ctypes.c_void_p]
    return serve


def check_api(dll: Any, wt: Any) -> None:
    """Refuse a libwasmtime whose functions take other arguments than the loop passes."""
    for name, arity in ARITY.items():
        declared = len(getattr(dll, name).argtypes)
        if declared != arity:
            raise wt.WasmtimeError(
                f"wasmtime-py's {name} takes {declared} arguments and faasbench's request loop "
                f"passes {arity}: install the wasmtime this faasbench pins (see doctor)")


class LoopRequests(GuestRequests):
    """``GuestRequests`` served by the C loop, which gets them as one ``struct function``."""

    def __init__(self, wt: Any, engine: Any, job: Job) -> None:
        dll = wt._ffi.dll
        check_api(dll, wt)  # both before the output files are opened: a refusal leaks none
        self.serve_c = library()
        super().__init__(wt, engine, job)
        self.api = _Api(*(ctypes.cast(getattr(dll, name), ctypes.c_void_p).value
                          for name in C_API))
        self.arrays = {name: (ctypes.c_int64 * BATCH_LIMIT)() for name in COLUMNS}
        self.columns = _Columns(*(ctypes.cast(array, ctypes.POINTER(ctypes.c_int64))
                                  for array in self.arrays.values()))
        self.last = _Last()
        self.function = _Function(
            engine=ctypes.cast(self.engine_ptr, ctypes.c_void_p), argc=self.argc.value,
            argv=ctypes.cast(self.argv, ctypes.c_void_p).value,
            host_dir=self.host_dir.value, guest_dir=self.guest_dir.value,
            memory_limit=job.options.wasm_memory_bytes,
            fuel_budget=self.fuel_budget.value if self.fuel else 0,
            # "written" starts non-zero: the first request empties whatever the files hold
            out=_Output(self.outputs.stdout, 1), err=_Output(self.outputs.stderr, 1),
            instance=ctypes.addressof(self.instance), item=ctypes.addressof(self.item),
            func=ctypes.addressof(self.item.of.func),
            memory=ctypes.addressof(self.item.of.memory))
        self.refs = tuple(ctypes.addressof(s) for s in
                          (self.api, self.function, self.columns, self.last))

    def load(self, module: Any, pre: Any) -> None:
        super().load(module, pre)
        self.function.pre = ctypes.cast(self.pre_ptr, ctypes.c_void_p)
        self.function.has_memory = self.has_memory

    def run(self) -> Invocation:
        return self.serve(1, 0, False).last

    def serve(self, limit: int, budget_ns: int, silent: bool) -> Served:
        """At most ``BATCH_LIMIT`` requests at a time."""
        if limit < 1:
            raise ValueError(f"a call serves at least one request, not {limit}")
        api, function, columns, last = self.refs
        count = self.serve_c(api, function, columns, min(limit, BATCH_LIMIT), budget_ns, silent,
                             last)
        return Served(self._clean(count - 1), self._last(count - 1))

    def _clean(self, count: int) -> dict[str, Any]:
        """The columns of the first ``count`` requests (all ran, exited 0, printed nothing),
        copied as they are: no Python int per value."""
        clean = {}
        for name, values in self.arrays.items():
            clean[name] = array("q")
            clean[name].frombytes(memoryview(values).cast("B")[:count * 8])
        return {"wall_ns": clean["wall_ns"], "cpu_ns": clean["cpu_ns"],
                "phases_ns": {phase: clean[f"{phase}_ns"] for phase in PHASES},
                "fuel": clean["fuel"] if self.fuel else [None] * count,
                "guest_memory_bytes": clean["memory_bytes"] if self.has_memory
                else [None] * count}

    def _last(self, index: int) -> Invocation:
        """The request at ``index``, the last served, whatever its outcome."""
        value = {name: values[index] for name, values in self.arrays.items()}
        last, memory, fuel = self.last, value["memory_bytes"], value["fuel"]
        return Invocation(
            wall_ns=value["wall_ns"], cpu_ns=value["cpu_ns"],
            exit_code=None if last.exit_code < 0 else last.exit_code, error=self._error(),
            phases_ns={phase: value[f"{phase}_ns"] for phase in PHASES
                       if value[f"{phase}_ns"] >= 0},
            fuel=None if fuel < 0 else fuel, guest_memory_bytes=None if memory < 0 else memory)

    def _error(self) -> Optional[str]:
        """What went wrong in the last request, in the words the Python requests use. The trap
        and error are handed to wasmtime-py, which frees them: the loop forgets them."""
        wt, ffi, last = self.wt, self.ffi, self.last
        trap = wt.Trap._from_ptr(ctypes.cast(last.trap, ctypes.POINTER(ffi.wasm_trap_t))) \
            if last.trap else None
        error = wt.WasmtimeError._from_ptr(
            ctypes.cast(last.error, ctypes.POINTER(ffi.wasmtime_error_t))) if last.error \
            else None
        last.trap = last.error = None
        if last.stage == PREOPEN_FAILED:
            return one_line(wt.WasmtimeError(f"cannot preopen {self.job.host_dir}"))
        if last.stage == INSTANTIATION_FAILED:
            return f"instantiation failed: {trap if trap is not None else error}"
        if trap is not None:
            return trap_error(trap)
        return one_line(error) if error is not None else None
