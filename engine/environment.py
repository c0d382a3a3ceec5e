"""The environment record written first in every results file: where the numbers came from."""

from __future__ import annotations

import os
import platform
import socket
from importlib import metadata
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def faasbench_version() -> str:
    try:
        return metadata.version("faasbench")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def describe(runtime_versions: dict[str, str], toolchain: dict[str, Any]) -> dict[str, Any]:
    """Host, CPU, OS, Python, runtime and toolchain versions."""
    import psutil  # lazy: ``faasbench --version`` reads this module too

    return {
        "host": socket.gethostname(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "os": os_name(),
        "kernel": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "faasbench": faasbench_version(),
        "runtimes": runtime_versions,
        "toolchain": toolchain,
    }
