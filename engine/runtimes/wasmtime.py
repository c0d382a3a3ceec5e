"""``wasmtime``: Wasmtime embedded through wasmtime-py, with optional fuel metering.

Modules are precompiled once (``Module.serialize``) into a ``.cwasm`` beside the ``.wasm``,
keyed by the wasmtime version and the engine settings that change generated code: that file
is the deployed function, which load and warm hosts deserialise. Traps and out-of-fuel
surface as ``wasmtime.Trap``; a non-zero exit as ``wasmtime.ExitTrap``; a memory cap is a
store limit (malloc then returns NULL). Nothing slows the generated code: no epoch
interruption (a guest past the timeout is stopped by the controller killing the worker) and
no fuel unless ``--fuel`` asks for it.
"""

from __future__ import annotations

import hashlib
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Optional

from ..files import write_atomic
from .base import Availability, Invocation, distribution_bytes
from .embedded import EmbeddedHost, EmbeddedRuntime

FUEL_BUDGET = 1 << 62


def _version() -> str:
    return metadata.version("wasmtime")


def cwasm_path(wasm: Path, fuel: bool) -> Path:
    """Where the precompiled module for these settings is cached: the name carries every
    engine setting that changes generated code (wasmtime refuses a module built otherwise)."""
    settings = f"fuel={fuel};epoch-interruption=False"
    tag = hashlib.sha256(settings.encode()).hexdigest()[:8]
    return wasm.with_name(f"{wasm.stem}.wasmtime-{_version()}-{tag}.cwasm")


class WasmtimeHost(EmbeddedHost):
    """Engine + precompiled module; each ``run`` gets a fresh store, WASI context and instance."""

    def start(self) -> None:
        import wasmtime

        self.wasmtime = wasmtime
        config = wasmtime.Config()
        config.consume_fuel = self.job.options.fuel
        self.engine = wasmtime.Engine(config)
        self.compiled = cwasm_path(Path(self.job.artifact), self.job.options.fuel)
        self.precompile()
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()

    def precompile(self) -> None:
        """The precompiled module a FaaS node would store, made once per wasmtime and settings."""
        if not self.compiled.exists():
            module = self.wasmtime.Module.from_file(self.engine, self.job.artifact)
            write_atomic(self.compiled, module.serialize())

    def prepare_cold(self) -> None:
        self.start()

    def load(self) -> None:
        self.module = self.wasmtime.Module.deserialize_file(self.engine, str(self.compiled))

    def _store(self) -> Any:
        wt, job = self.wasmtime, self.job
        store = wt.Store(self.engine)
        store.set_limits(memory_size=job.options.wasm_memory_bytes)
        if job.options.fuel:
            store.set_fuel(FUEL_BUDGET)
        wasi = wt.WasiConfig()
        wasi.argv = job.argv
        wasi.stdout_file = job.stdout_path
        wasi.stderr_file = job.stderr_path
        wasi.preopen_dir(job.host_dir, job.guest_dir, False)
        store.set_wasi(wasi)
        return store

    def run(self) -> Invocation:
        wt, job = self.wasmtime, self.job
        t0 = time.perf_counter_ns()
        store = self._store()
        try:
            instance = self.linker.instantiate(store, self.module)
        except wt.WasmtimeError as exc:
            return Invocation(wall_ns=0, exit_code=None, error=f"instantiation failed: {exc}")
        t1 = time.perf_counter_ns()
        start = instance.exports(store)["_start"]
        exit_code, error = 0, None
        try:
            start(store)
        except wt.ExitTrap as exc:
            exit_code = exc.code
        except wt.Trap as exc:
            exit_code, error = None, f"trap ({exc.trap_code}): {_reason(exc)}"
        t2 = time.perf_counter_ns()
        memory = instance.exports(store).get("memory")
        return Invocation(
            wall_ns=t2 - t0, exit_code=exit_code, error=error,
            phases_ns={"instantiate": t1 - t0, "execute": t2 - t1},
            fuel=FUEL_BUDGET - store.get_fuel() if job.options.fuel else None,
            guest_memory_bytes=memory.data_len(store) if isinstance(memory, wt.Memory) else None,
        )


def _reason(trap: Exception) -> str:
    """The trap's cause: the last line of wasmtime's message (the first is a backtrace header)."""
    lines = [line.strip() for line in str(trap).splitlines() if line.strip()]
    return lines[-1] if lines else type(trap).__name__


class WasmtimeRuntime(EmbeddedRuntime):
    name = "wasmtime"
    host_class = WasmtimeHost
    counts_fuel = True
    has_memory_limit = True

    @classmethod
    def runtime_bytes(cls) -> Optional[int]:
        return distribution_bytes("wasmtime")

    def artifact_bytes(self) -> Optional[int]:
        """The precompiled module: what a host deploys and loads."""
        return cwasm_path(Path(self.job.artifact), self.job.options.fuel).stat().st_size

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
