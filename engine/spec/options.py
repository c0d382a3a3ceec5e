"""Run options and defaults, declared once: the CLI flags, the plan and the dashboard read them.

A default changed here changes ``faasbench run --help``, what a plan records and what the setup
screen starts with, together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

from engine.errors import PlanError
from engine.serial import Record
from engine.terms import Mode

DEFAULT_RUNTIMES = ("native", "wasmtime")
DEFAULT_MODES: tuple[Mode, ...] = ("cold",)
MAX_ITERATIONS = 100_000
MAX_TIMEOUT_S = 86_400.0


def default_warmup(mode: Mode) -> int:
    """Load and warm cells discard one iteration first (it pays for filling caches in the
    running host); cold cells, where every iteration starts afresh, none."""
    return 0 if mode == "cold" else 1


def check_count(value: int, what: str = "iterations", low: int = 1) -> int:
    """An iteration (or warm-up) count in ``low``..MAX_ITERATIONS."""
    if not low <= value <= MAX_ITERATIONS:
        raise PlanError(f"{what} must be between {low} and {MAX_ITERATIONS}, got {value}")
    return value


_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_bytes(text: str) -> int:
    """``512m``, ``2g``, ``2GiB`` or plain bytes, as ``docker run --memory`` takes them."""
    match = re.fullmatch(r"\s*(\d+)\s*([kmgt]?)(i?b)?\s*", text.lower())
    if match is None:
        raise ValueError(f"{text!r} is not a size like 512m or 2g")
    return int(match.group(1)) * _UNITS[match.group(2)]


class RunOptions(Record):
    """Knobs shared by every cell of a plan; all of them are recorded with the results."""

    timeout_s: float = 300.0
    """Per-iteration limit; a guest past it is stopped and its sample fails as timed out."""
    fuel: bool = False
    """Count WebAssembly fuel (instructions) per invocation, where the runtime can."""
    wasm_memory_bytes: int = 2 << 30
    """Linear-memory cap of a WebAssembly guest, where the runtime has one."""
    container_memory_bytes: int = 2 << 30
    """Docker memory (and swap) limit per container; fits binary-trees at the paper size."""
    pids_limit: int = 64
    """Docker pids limit per container."""
    docker_base: Optional[str] = None
    """Base image for Docker (must exist locally); None means FROM scratch."""

    def check(self) -> None:
        """Raise PlanError naming the first value out of its range."""
        if not 0 < self.timeout_s <= MAX_TIMEOUT_S:
            raise PlanError(f"timeout must be between 0 and {MAX_TIMEOUT_S:.0f} seconds, "
                            f"got {self.timeout_s}")
        if not 1 << 20 <= self.wasm_memory_bytes <= 4 << 30:
            raise PlanError("wasm memory limit must be between 1 MiB and 4 GiB")
        if not 6 << 20 <= self.container_memory_bytes <= 1 << 40:
            raise PlanError("container memory limit must be between 6 MiB (Docker's minimum) "
                            "and 1 TiB")
        if not 8 <= self.pids_limit <= 1_000_000:
            raise PlanError(f"pids limit must be between 8 and 1000000, got {self.pids_limit}")
        base = self.docker_base
        if base is not None and (not base or any(c.isspace() for c in base)):
            raise PlanError(f"docker base {base!r} is not an image name (e.g. ubuntu:20.04)")


@dataclass(frozen=True)
class Flag:
    """How one RunOptions field appears on the command line."""

    field: str
    flag: str
    help: str
    parse: Optional[Callable[[str], object]] = None
    """None for a switch (store_true)."""
    metavar: Optional[str] = None


FLAGS = (
    Flag("timeout_s", "--timeout", "per-iteration timeout in seconds", float, "SECONDS"),
    Flag("fuel", "--fuel", "count wasm fuel per invocation (slower; recorded in the results)"),
    Flag("wasm_memory_bytes", "--wasm-memory", "WebAssembly memory cap per guest, e.g. 256m",
         parse_bytes, "SIZE"),
    Flag("container_memory_bytes", "--container-memory",
         "Docker memory limit per container, e.g. 512m", parse_bytes, "SIZE"),
    Flag("pids_limit", "--pids-limit", "Docker pids limit per container", int, "N"),
    Flag("docker_base", "--docker-base",
         "run Docker's binary on this local base image instead of FROM scratch", str, "IMAGE"),
)
