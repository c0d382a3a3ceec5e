"""The runtime registry: adding a runtime is one module plus one line here.

Modules are imported lazily so a missing optional library (say, wasmer) only makes that
runtime unavailable instead of breaking the tool.
"""

from __future__ import annotations

import importlib

from .base import Availability, Invocation, Job, Runtime

_REGISTRY: dict[str, str] = {
    "native": "engine.runtimes.native:NativeRuntime",
    "wasmtime": "engine.runtimes.wasmtime:WasmtimeRuntime",
    "wasmer": "engine.runtimes.wasmer:WasmerRuntime",
    "node": "engine.runtimes.node:NodeRuntime",
    "docker": "engine.runtimes.docker:DockerRuntime",
    **{name: f"engine.runtimes.cli:{name}" for name in (
        "wasmtime-cli", "wasmtime-cli-aot", "wasmedge", "wasmedge-aot", "wasmer-cli", "iwasm",
        "wavm", "wavm-aot")},
}

__all__ = ["Availability", "Invocation", "Job", "Runtime", "get", "names"]


def _registry() -> dict[str, str]:
    """The built-ins plus the command templates the user's runtimes.toml adds."""
    from .cli import user_runtime_names

    return {**_REGISTRY, **{n: f"engine.runtimes.cli:{n}" for n in user_runtime_names()}}


def names() -> list[str]:
    """Every runtime faasbench knows, available here or not."""
    return list(_registry())


def get(name: str) -> type[Runtime]:
    """The runtime class registered under ``name``."""
    registry = _registry()
    try:
        module_name, _, class_name = registry[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown runtime {name!r}; valid: {', '.join(registry)}") from None
    return getattr(importlib.import_module(module_name), class_name)


def probe(name: str) -> Availability:
    """``available()`` of a runtime, guarded: even a broken module reports, never raises."""
    try:
        return get(name).available()
    except Exception as exc:  # a broken install must show up as a reason, not a crash
        return Availability(False, reason=f"{type(exc).__name__}: {exc}",
                            fix="reinstall faasbench: python3 -m pip install --force-reinstall .")
