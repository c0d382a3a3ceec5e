"""The runtime registry: adding a runtime is one module plus one line here.

Modules are imported lazily so a missing optional library (say, wasmer) only makes that
runtime unavailable instead of breaking the tool, and so listing names stays cheap.
``FAASBENCH_RUNTIME_PLUGINS`` adds runtimes from other modules (``name=module:Class``,
comma-separated); the tests register their stand-in runtime this way.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.runtimes.base import Availability, Runtime

_BUILTIN: dict[str, str] = {
    "native": "engine.runtimes.native:NativeRuntime",
    "wasmtime": "engine.runtimes.wasmtime.runtime:WasmtimeRuntime",
    "wasmer": "engine.runtimes.wasmer:WasmerRuntime",
    "node": "engine.runtimes.node:NodeRuntime",
    "docker": "engine.runtimes.docker.runtime:DockerRuntime",
    "docker-exec": "engine.runtimes.docker.exec_runtime:DockerExecRuntime",
    **{name: f"engine.runtimes.cli_runtime:{name}" for name in (
        "wasmtime-cli", "wasmtime-cli-aot", "wasmedge", "wasmedge-aot", "wasmer-cli", "iwasm",
        "wavm", "wavm-aot")},
}
PLUGINS_VARIABLE = "FAASBENCH_RUNTIME_PLUGINS"

__all__ = ["availability", "builtin_names", "get", "names"]


def _plugins() -> dict[str, str]:
    entries = [e.strip() for e in os.environ.get(PLUGINS_VARIABLE, "").split(",") if e.strip()]
    return dict(e.split("=", 1) for e in entries if "=" in e)


def _registry() -> dict[str, str]:
    """The built-ins, the command templates the user's runtimes.toml adds, and plugins."""
    from engine.runtimes.cli_templates import user_runtime_names

    return {**_BUILTIN,
            **{n: f"engine.runtimes.cli_runtime:{n}" for n in user_runtime_names()},
            **_plugins()}


def names() -> list[str]:
    """Every runtime faasbench knows, available here or not."""
    return list(_registry())


def builtin_names() -> list[str]:
    """The runtimes faasbench brings (without reading the user's runtimes.toml)."""
    return list(_BUILTIN)


def get(name: str) -> type[Runtime]:
    """The runtime class registered under ``name``."""
    registry = _registry()
    try:
        module_name, _, class_name = registry[name].partition(":")
    except KeyError:
        raise ValueError(f"unknown runtime {name!r}; valid: {', '.join(registry)}") from None
    return getattr(importlib.import_module(module_name), class_name)


def availability(name: str) -> Availability:
    """``available()`` of a runtime, guarded: even a broken module reports, never raises."""
    from engine.runtimes.base import Availability

    try:
        return get(name).available()
    except Exception as exc:  # a broken install must show up as a reason, not a crash
        return Availability(False, reason=f"{type(exc).__name__}: {exc}",
                            fix="reinstall faasbench: python3 -m pip install --force-reinstall .")
