"""Which run a container or scratch folder belongs to, so ``faasbench clean`` removes only what
no live run needs.

A run's controller (the process that runs ``Run`` or ``ScaleRun``) is its owner, written
``PID:START`` with the kernel's start time of that process: a later process that reuses the
pid is not taken for it. Containers carry it as a label (``engine.runtimes.docker.images``),
worker scratch folders as a file (``engine.measure.worker_link``).
"""

from __future__ import annotations

import os
from typing import Optional

import psutil


def _start(pid: int) -> Optional[str]:
    try:
        return f"{psutil.Process(pid).create_time():.2f}"
    except psutil.Error:
        return None


def of_process(pid: int) -> str:
    """The running process ``pid`` as an owner."""
    return f"{pid}:{_start(pid)}"


def this_process() -> str:
    """This process as an owner."""
    return of_process(os.getpid())


def alive(owner: str) -> bool:
    """Whether the process ``owner`` names still runs (an unreadable owner: no)."""
    pid, _, start = owner.partition(":")
    return pid.isdigit() and bool(start) and _start(int(pid)) == start


def pid_of(owner: str) -> str:
    """The pid part, for messages."""
    return owner.partition(":")[0]
