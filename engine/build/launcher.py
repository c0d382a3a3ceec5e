"""The launcher (c_sources/launcher.c): a tiny static process that starts and measures programs.

Python's worker is tens of MiB; a child it forks inherits that high-water mark, so its peak
RSS would be the worker's. Programs are therefore started through the launcher, which reports
start/end stamps (CLOCK_MONOTONIC, like ``perf_counter_ns``), CPU time, peak RSS and status.
The same binary is the PID 1 of warm Docker containers: in serve mode (``serve_argv``) it runs
the program once per request read from a FIFO and answers each with the same report line on a
second FIFO, so a warm request needs no call to the Docker daemon.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

MARKER = b"faasbench-launch "
_FIELDS = re.compile(rb"faasbench-launch start_ns=(\d+) end_ns=(\d+) cpu_ns=(\d+) "
                     rb"peak_rss=(\d+) exit=(-?\d+) signal=(\d+)")


@dataclass(frozen=True)
class LaunchReport:
    start_ns: int
    end_ns: int
    cpu_ns: int
    peak_rss_bytes: Optional[int]
    """None when the kernel reported 0: Linux 6.2+ keeps RSS counters per CPU, and a tiny
    program's peak can read 0, which would be a wrong number rather than a small one."""
    exit_code: Optional[int]
    signal: Optional[int]


@functools.lru_cache(maxsize=1)
def launcher_path() -> Path:
    """The launcher for this machine, compiled once per toolchain (portable CPU flags).
    What it needs is imported here: a fresh process that reads a launch report (a cold
    sample's) must not pay for building one."""
    import hashlib
    from importlib import resources

    from engine import paths
    from engine.build import toolchain

    source = Path(str(resources.files("c_sources").joinpath("launcher.c")))
    flags = [*toolchain.native_flags("baseline"), *toolchain.BuildFlags().common(), "-static"]
    digest = hashlib.sha256(source.read_bytes() + "\0".join(flags).encode()
                            + toolchain.zig_version().encode()).hexdigest()[:16]
    path = paths.cache_dir() / "helpers" / digest / "launcher"
    if not path.exists():
        toolchain.compile_c(source, path, flags)
    return path


def serve_argv(directory: str, path: str, argv: list[str]) -> list[str]:
    """The launcher's arguments for serve mode: run ``path`` with ``argv`` once per byte read
    from the FIFO ``directory``/request, output to ``directory``/stdout and stderr, answering
    on the FIFO ``directory``/reply (the caller makes both FIFOs; c_sources/launcher.c)."""
    return ["--serve", directory, path, *argv]


def parse_report(text: bytes) -> Optional[LaunchReport]:
    """The launcher's report line, or None when there is none (the launcher was killed)."""
    match = _FIELDS.search(text)
    if match is None:
        return None
    start, end, cpu, peak, code, sig = (int(g) for g in match.groups())
    return LaunchReport(start, end, cpu, peak or None, code if code >= 0 else None, sig or None)


def split_report(stderr: bytes) -> tuple[bytes, Optional[LaunchReport]]:
    """A program's own stderr and the report the launcher appended to it (docker exec)."""
    head, sep, tail = stderr.rpartition(b"\n" + MARKER)
    if not sep:
        return stderr, None
    return head, parse_report(MARKER + tail)
