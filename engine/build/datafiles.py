"""Per-benchmark data directories: the only host directory a guest is shown (read-only)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from engine import paths
from engine.spec.benchmarks import BENCHMARKS


def benchmark_dir(benchmark: str, size: int) -> Path:
    """A directory per benchmark and size, so a guest sees its own input and nothing else.

    Only the path: ``ensure_input`` fills it, in the worker, where a cancel reaches it.
    """
    return paths.cache_dir() / "data" / benchmark / str(size)


def input_file(benchmark: str, size: int) -> Optional[Path]:
    """The host path of the benchmark's data file, if it reads one."""
    name = BENCHMARKS[benchmark].data_file
    return benchmark_dir(benchmark, size) / name if name is not None else None


def ensure_input(benchmark: str, size: int) -> Path:
    """Create the benchmark's directory and the data file it reads (if any) of ``size`` bytes."""
    directory = benchmark_dir(benchmark, size)
    directory.mkdir(parents=True, exist_ok=True)
    BENCHMARKS[benchmark].write_data(directory, size)
    return directory
