"""What function instances cost the machine, from the kernel: the proportional and resident set
sizes of processes (``/proc/PID/smaps_rollup`` through psutil) and containers' cgroup usage.

PSS is the sum that adds up: a page shared by k processes counts 1/k in each, so summing the
PSS of a server and its helpers (or of 200 containerd shims) neither misses shared libraries nor
counts them 200 times. RSS is recorded beside it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

import psutil

from engine.runtimes.docker import cgroups


@dataclass(frozen=True)
class MemoryFigures:
    """One reading. ``total_bytes`` is what the instances cost: the processes' PSS plus the
    containers' cgroup usage (the processes inside containers are counted there, not twice)."""

    pss_bytes: int
    rss_bytes: int
    processes: int
    cgroup_bytes: int = 0
    daemon_pss_bytes: Optional[int] = None
    """dockerd and containerd together: shown beside the total, not in it, because the engine
    is shared and other clients' containers move it too."""

    @property
    def total_bytes(self) -> int:
        return self.pss_bytes + self.cgroup_bytes


def process_tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (a server's helpers are part of its cost)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def sizes(processes: Iterable[psutil.Process]) -> tuple[int, int, int]:
    """(PSS, RSS, count) summed over the processes still alive."""
    pss = rss = count = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            info = process.memory_full_info()
            pss += info.pss
            rss += info.rss
            count += 1
    return pss, rss, count


def whole_pss(processes: list[psutil.Process]) -> Optional[int]:
    """The processes' PSS summed, or None when there are none or one cannot be read (root's,
    for another user): a part of the sum would pass for the whole."""
    pss, _, readable = sizes(processes)
    return pss if processes and readable == len(processes) else None


def cgroup_usage(rel: str) -> int:
    """A cgroup's current memory use (v1 ``memory.usage_in_bytes``, v2 ``memory.current``)."""
    memory, _, unified = cgroups.roots()
    if memory is None:
        return 0
    name = "memory.current" if unified else "memory.usage_in_bytes"
    try:
        return int((memory / rel.lstrip("/") / name).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def engine_daemons(socket_path: str) -> list[psutil.Process]:
    """The dockerd serving ``socket_path`` and its containerd (when they run on this host)."""
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "dockerd" and any(
                socket_path in arg for arg in process.info["cmdline"] or []):
            with contextlib.suppress(psutil.NoSuchProcess):
                return [process, *(c for c in process.children() if c.name() == "containerd")]
    return []


def shims(container_ids: Iterable[str]) -> list[psutil.Process]:
    """The containerd shim of each container: outside the container, one per container."""
    wanted = set(container_ids)
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        name = process.info["name"] or ""
        args = process.info["cmdline"] or []
        if name.startswith("containerd-shim") and "-id" in args:
            index = args.index("-id") + 1
            if index < len(args) and args[index] in wanted:
                found.append(process)
    return found
