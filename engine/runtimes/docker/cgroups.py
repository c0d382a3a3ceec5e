"""Peak memory and CPU time of containers, read from the cgroup filesystem (v1 or v2).

A container's own cgroup directory vanishes the moment it exits, so containers run under a
parent cgroup (``cgroup_parent``) that faasbench owns and reads after the exit: v1
``memory.max_usage_in_bytes`` and ``cpuacct.usage``, v2 ``memory.peak`` and ``cpu.stat``.
A fresh parent per container means no peak needs resetting (v2 kernels before 6.12 cannot).
A figure is returned only when it can be had honestly; otherwise None ("n/a").
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Optional

V1_PEAK = "memory.max_usage_in_bytes"
V2_PEAK = "memory.peak"


def _mounts() -> list[tuple[Path, str, set[str]]]:
    """(mount point, fs type, options) of every cgroup hierarchy this process sees."""
    found = []
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        parts = line.split()
        if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
            found.append((Path(parts[1]), parts[2], set(parts[3].split(","))))
    return found


def _controllers(root: Path) -> set[str]:
    try:
        return set((root / "cgroup.controllers").read_text().split())
    except OSError:
        return set()


def roots() -> tuple[Optional[Path], Optional[Path], Optional[Path]]:
    """Roots of the memory and CPU-accounting hierarchies, plus the v2 root when v2 holds them."""
    memory = cpu = unified = None
    for point, kind, options in _mounts():
        if kind == "cgroup" and "memory" in options:
            memory = point
        elif kind == "cgroup" and "cpuacct" in options:
            cpu = point
        elif kind == "cgroup2" and "memory" in _controllers(point):
            unified = point
    if memory is None and unified is not None:
        return unified, unified, unified
    return memory, cpu, None


def _read_int(path: Path) -> Optional[int]:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _cpu_ns(directory: Path, v2: bool) -> Optional[int]:
    if not v2:
        return _read_int(directory / "cpuacct.usage")
    try:
        for line in (directory / "cpu.stat").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) * 1000
    except (OSError, ValueError):
        return None
    return None


def make(rel: str) -> None:
    """Create a cgroup path in the hierarchies faasbench reads (the engine creates the rest)."""
    for root in {r for r in roots()[:2] if r is not None}:
        with contextlib.suppress(OSError):
            (root / rel.lstrip("/")).mkdir(parents=True, exist_ok=True)


def remove(rel: str) -> None:
    """Remove a cgroup subtree in every hierarchy; busy or missing directories are left alone."""
    for point, _, _ in _mounts():
        top = point / rel.lstrip("/")
        if not top.is_dir():
            continue
        for dirpath, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
            with contextlib.suppress(OSError):
                os.rmdir(dirpath)


def peak_bytes(rel: str) -> Optional[int]:
    """Peak memory of a cgroup since it was created (faasbench makes a fresh one per container)."""
    memory, _, unified = roots()
    if memory is None:
        return None
    peak = _read_int(memory / rel.lstrip("/") / (V2_PEAK if unified else V1_PEAK))
    return peak if peak else None  # 0 means nothing ran there (say, a remote engine)


def cpu_ns(rel: str) -> Optional[int]:
    """CPU time used so far by a cgroup and its children; callers take differences."""
    _, cpu, unified = roots()
    return _cpu_ns(cpu / rel.lstrip("/"), unified is not None) if cpu is not None else None


def last_figures(rel: Optional[str]) -> tuple[Optional[int], Optional[int]]:
    """(peak memory, CPU time) of a cgroup whose container has exited, which is then removed;
    (None, None) without one."""
    if rel is None:
        return None, None
    peak, cpu = peak_bytes(rel), cpu_ns(rel)
    remove(rel)
    return peak, cpu or None
