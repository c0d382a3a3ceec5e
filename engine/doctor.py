"""What can run here: every registered runtime and the toolchain, with reasons and fixes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine import runtimes
from engine.build import toolchain
from engine.runtimes.simd import simd_problem


def runtime_row(name: str) -> dict[str, Any]:
    """Availability, version, reason, fix, installed size and capability flags of one runtime
    (``simd_problem``: why it cannot run simd128 modules, None when it can)."""
    found = runtimes.availability(name)
    row: dict[str, Any] = {"name": name, "ok": found.ok, "version": found.version,
                           "reason": found.reason, "fix": found.fix, **found.details}
    try:
        cls = runtimes.get(name)
        row.update(kind=cls.kind, installed_bytes=cls.installed_bytes() if found.ok else None,
                   counts_fuel=cls.counts_fuel, has_memory_limit=cls.has_memory_limit,
                   keeps_server=cls.keeps_server,
                   simd_problem=simd_problem(name, found.version) if found.ok else None)
    except Exception as exc:  # the availability already carries the reason
        row.update(kind="unknown", error=str(exc))
    return row


def runtime_report() -> list[dict[str, Any]]:
    """One row per runtime, in registry order. Asking mostly waits (on a subprocess, an
    import, an engine's socket), so the runtimes are asked side by side."""
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
