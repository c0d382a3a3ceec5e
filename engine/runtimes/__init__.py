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
}

__all__ = ["Availability", "Invocation", "Job", "Runtime", "get", "names"]


def names() -> list[str]:
    """Every runtime faasbench knows, available here or not."""
    return list(_REGISTRY)


def get(name: str) -> type[Runtime]:
    """The runtime class registered under ``name``."""
    try:
        module_name, _, class_name = _REGISTRY[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown runtime {name!r}; valid: {', '.join(_REGISTRY)}") from None
    return getattr(importlib.import_module(module_name), class_name)


def probe(name: str) -> Availability:
    """``available()`` of a runtime, guarded so that even a broken module reports instead of raising."""
    try:
        return get(name).available()
    except Exception as exc:  # a broken install must show up as a reason, not a crash
        return Availability(False, reason=f"{type(exc).__name__}: {exc}",
                            fix="reinstall faasbench: python3 -m pip install --force-reinstall .")
