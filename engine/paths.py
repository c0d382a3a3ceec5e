"""Where faasbench keeps artifacts, data files and results (overridable for tests and CI)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """Built artifacts, precompiled modules, references, data files: safe to delete."""
    override = os.environ.get("FAASBENCH_CACHE_DIR")
    path = Path(override) if override else Path(platformdirs.user_cache_dir("faasbench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Results files: the user's measurements, never deleted by faasbench."""
    override = os.environ.get("FAASBENCH_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir("faasbench"))
    path.mkdir(parents=True, exist_ok=True)
    return path
