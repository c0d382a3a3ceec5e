"""Per-benchmark data directories: the only host directory a guest is shown (read-only)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from . import paths, references
from .benchmarks import BENCHMARKS, CAT_SYNC_FILE
from .files import atomic_path


def benchmark_dir(benchmark: str, size: int) -> Path:
    """A directory per benchmark and size, so a guest sees its own input and nothing else.

    Only the path: ``ensure_input`` fills it, in the worker, where a cancel reaches it.
    """
    return paths.cache_dir() / "data" / benchmark / str(size)


def input_file(benchmark: str, size: int) -> Optional[Path]:
    """The host path of the benchmark's input, if it reads one."""
    if not BENCHMARKS[benchmark].reads_data:
        return None
    return benchmark_dir(benchmark, size) / CAT_SYNC_FILE


def ensure_input(benchmark: str, size: int) -> Path:
    """Create the benchmark's directory and its input file (if it reads one) of ``size`` bytes."""
    directory = benchmark_dir(benchmark, size)
    directory.mkdir(parents=True, exist_ok=True)
    target = input_file(benchmark, size)
    if target is not None and (not target.exists() or target.stat().st_size != size):
        with atomic_path(target) as tmp:
            references.write_data_file(tmp, size)
    return directory
