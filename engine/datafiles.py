"""Per-benchmark data directories: the only host directory a guest is shown (read-only)."""

from __future__ import annotations

import os
from pathlib import Path

from . import paths, references
from .benchmarks import BENCHMARKS, CAT_SYNC_FILE


def data_dir(benchmark: str, size: int) -> Path:
    """A directory per benchmark and size, so a guest sees its own input and nothing else."""
    path = paths.cache_dir() / "data" / benchmark / str(size)
    path.mkdir(parents=True, exist_ok=True)
    if BENCHMARKS[benchmark].reads_data:
        target = path / CAT_SYNC_FILE
        if not target.exists() or target.stat().st_size != size:
            tmp = path / f".{CAT_SYNC_FILE}.{os.getpid()}"
            references.write_data_file(tmp, size)
            tmp.replace(target)
    return path


def input_file(benchmark: str, size: int) -> Path | None:
    """The host path of the benchmark's input, if it reads one."""
    if not BENCHMARKS[benchmark].reads_data:
        return None
    return data_dir(benchmark, size) / CAT_SYNC_FILE
