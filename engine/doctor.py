"""What can run here: every registered runtime and the toolchain, with reasons and fixes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import runtimes, toolchain
from .runtimes.simd import simd_problem


def runtime_row(name: str) -> dict[str, Any]:
    """Availability, version, reason, fix, installed size and capability flags of one runtime
    (``simd_problem``: why it cannot run simd128 modules, None when it can)."""
    probe = runtimes.probe(name)
    row: dict[str, Any] = {"name": name, "ok": probe.ok, "version": probe.version,
                           "reason": probe.reason, "fix": probe.fix, **probe.details}
    try:
        cls = runtimes.get(name)
        row.update(kind=cls.kind, installed_bytes=cls.installed_bytes() if probe.ok else None,
                   counts_fuel=cls.counts_fuel, has_memory_limit=cls.has_memory_limit,
                   keeps_host=cls.keeps_host,
                   simd_problem=simd_problem(name, probe.version) if probe.ok else None)
    except Exception as exc:  # the probe already carries the reason
        row.update(kind="unknown", error=str(exc))
    return row


def runtime_report() -> list[dict[str, Any]]:
    """One row per runtime, in registry order. Probes mostly wait (on a subprocess, an
    import, an engine's socket), so they run side by side."""
    names = runtimes.names()
    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        return list(pool.map(runtime_row, names))


def toolchain_report() -> dict[str, Any]:
    try:
        return {"ok": True, "zig": str(toolchain.zig_path()), "version": toolchain.zig_version(),
                "native_target": toolchain.native_target()}
    except toolchain.ToolchainError as exc:
        return {"ok": False, "reason": str(exc)}


def doctor() -> dict[str, Any]:
    return {"runtimes": runtime_report(), "toolchain": toolchain_report()}
