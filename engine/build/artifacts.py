"""Compiled benchmark programs, cached by a hash of source + flags + toolchain version.

Nothing is rebuilt when nothing changed; ``build_all`` yields one event per artifact so the
long first build (zig compiles its libc once) shows progress.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from engine import paths
from engine.build import toolchain
from engine.spec.benchmarks import BENCHMARKS
from engine.store.events import ArtifactBuilt
from engine.build.launcher import launcher_path

TARGETS = ("wasm", "native")


@dataclass(frozen=True)
class Artifact:
    """One compiled program for one target."""

    benchmark: str
    target: str
    path: Path
    key: str

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size


def source_path(benchmark: str) -> Path:
    """The C file of a benchmark, from the installed ``c_sources`` package."""
    return Path(str(resources.files("c_sources").joinpath(BENCHMARKS[benchmark].source)))


def _headers() -> bytes:
    """The shared headers every program may include: part of every cache key."""
    folder = resources.files("c_sources")
    return b"".join(folder.joinpath(name).read_bytes()
                    for name in sorted(e.name for e in folder.iterdir() if e.name.endswith(".h")))


def artifact_for(benchmark: str, target: str, flags: toolchain.BuildFlags) -> Artifact:
    """Where the artifact for these inputs lives (it may not be built yet)."""
    source = source_path(benchmark).read_bytes() + _headers()
    target_flags = flags.for_target(target)
    digest = hashlib.sha256()
    for part in (source, "\0".join(target_flags).encode(), toolchain.zig_version().encode()):
        digest.update(part)
        digest.update(b"\0")
    key = digest.hexdigest()[:16]
    name = BENCHMARKS[benchmark].source[:-2].replace("_", "-")
    suffix = ".wasm" if target == "wasm" else ""
    return Artifact(benchmark, target, paths.cache_dir() / "artifacts" / key / f"{name}{suffix}",
                    key)


def build_all(benchmarks: Iterable[str], targets: Iterable[str],
              flags: toolchain.BuildFlags) -> Iterator[ArtifactBuilt]:
    """Build what is missing; yield an event per artifact, cached ones included.

    The launcher every process-based runtime starts its programs with is built first.
    """
    launcher_path()
    jobs = [(b, t) for b in benchmarks for t in targets]
    for index, (benchmark, target) in enumerate(jobs, start=1):
        artifact = artifact_for(benchmark, target, flags)
        started = time.monotonic()
        cached = artifact.path.exists()
        if not cached:
            toolchain.compile_c(source_path(benchmark), artifact.path, flags.for_target(target))
        yield ArtifactBuilt(benchmark, target, str(artifact.path), artifact.size_bytes, cached,
                            round(time.monotonic() - started, 3), index, len(jobs))
