"""The benchmark programs, one ``Benchmark`` record each: its C source, what its size means and
the sizes that make sense, its presets, its reference output, how its work grows with its size,
and the data file it reads.

Sizes follow the study (Long, Tai, Wang: WebAssembly for FaaS): the ``paper`` preset uses its
sizes and 50 iterations; ``quick`` keeps each native run well under a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from engine.files import atomic_path
from engine.verify import references

GUEST_DIR = "/workspace"
"""Where runtimes show a benchmark's data directory to the guest (read-only)."""

PRESET_ITERATIONS = {"quick": 5, "standard": 20, "paper": 50}
PRESETS = tuple(PRESET_ITERATIONS)
UNBOUNDED = 1 << 62
"""A reference limit for references that take no longer at any size."""

Reference = Callable[[int, Optional[Path]], bytes]
"""The exact stdout a program prints for a size (and its data file, if it reads one)."""


@dataclass(frozen=True)
class Benchmark:
    """One program; ``size`` means steps, n, pixels, depth or bytes depending on the program."""

    name: str
    source: str
    """Its C file in ``c_sources``."""
    size_meaning: str
    min_size: int
    max_size: int
    presets: dict[str, int]
    reference: Reference
    """Its independent Python implementation (``engine.verify.references``)."""
    reference_limit: int = UNBOUNDED
    """The largest size the Python reference computes in seconds; above it the native build's
    output is the reference, and results say so."""
    work: Optional[Callable[[int], float]] = None
    """How its work grows with its size, for estimates of sizes not run before (None: it does
    not grow, or not so a guess would be honest)."""
    data_file: Optional[str] = None
    """The file it reads from its data directory, ``size`` bytes of ``write_data_file``."""
    args: tuple[str, ...] = ("{size}",)
    """Its argv after the program name: ``{size}`` and ``{data}`` (the data file's path as the
    guest sees it) are filled in."""
    tags: frozenset[str] = field(default_factory=frozenset)
    """What it stands for in the study: ``start`` (the start ladder, start claims) or
    ``compute`` (Table 1, the compute claim)."""

    def check_size(self, size: int) -> None:
        """Reject sizes that would be meaningless or would run for hours."""
        if not self.min_size <= size <= self.max_size:
            raise ValueError(
                f"size {size} for {self.name} is out of range: {self.size_meaning} must be "
                f"between {self.min_size} and {self.max_size}"
            )

    def guest_args(self, size: int, data_dir: str = GUEST_DIR) -> list[str]:
        """argv after the program name; ``data_dir`` is where the runtime shows the data."""
        data = f"{data_dir}/{self.data_file}" if self.data_file is not None else ""
        return [word.format(size=size, data=data) for word in self.args]

    def expected_output(self, size: int, data_file: Optional[Path] = None) -> bytes:
        """What the program must print at ``size`` (its data file, if it reads one, given),
        from the Python reference; ValueError for a size out of range."""
        if isinstance(size, bool) or not isinstance(size, int):
            raise ValueError(f"{self.name}: size must be an int, got {size!r}")
        self.check_size(size)
        return self.reference(size, data_file)

    def write_data(self, directory: Path, size: int) -> Optional[Path]:
        """Make the data file it reads in ``directory`` (none: None); a file of the right size
        is kept."""
        if self.data_file is None:
            return None
        target = directory / self.data_file
        if not target.exists() or target.stat().st_size != size:
            with atomic_path(target) as tmp:
                references.write_data_file(tmp, size)
        return target


START, COMPUTE = "start", "compute"
# Reference limits: the largest size whose Python reference finishes in about 10 s, measured
# once with CPython 3.11 on the 2-core development machine: nbody 2,000,000 steps 10.4 s
# (1,000,000: 5.3 s); fannkuch-redux 10: 6.2 s (11 would be ~70 s); mandelbrot 2,200: 10.2 s
# (2,000: 8.1 s). nop, binary-trees (closed form) and cat-sync (about 0.1 s per MiB of its
# data file) take no longer at any size.
BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark("nop", "nop.c", "unused (0)", 0, 0, {"quick": 0, "standard": 0, "paper": 0},
                  references.nop, args=(), tags=frozenset({START})),
        Benchmark("cat-sync", "cat_sync.c", "the data file's size in bytes", 0, 1 << 30,
                  {"quick": 1 << 20, "standard": 1 << 20, "paper": 1 << 20},
                  references.cat_sync, work=lambda n: float(max(n, 1)), data_file="input.bin",
                  args=("{data}",), tags=frozenset({START})),
        Benchmark("nbody", "nbody.c", "steps", 1, 500_000_000,
                  {"quick": 100_000, "standard": 20_000_000, "paper": 50_000_000},
                  references.nbody, 2_000_000, work=float, tags=frozenset({COMPUTE})),
        Benchmark("fannkuch-redux", "fannkuch_redux.c", "n", 3, 12,
                  {"quick": 9, "standard": 11, "paper": 12}, references.fannkuch_redux, 10,
                  work=lambda n: float(n * math.factorial(n)), tags=frozenset({COMPUTE})),
        Benchmark("mandelbrot", "mandelbrot.c", "width = height in pixels", 1, 20_000,
                  {"quick": 400, "standard": 6_000, "paper": 15_000}, references.mandelbrot,
                  2_200, work=lambda n: float(n * n), tags=frozenset({COMPUTE})),
        Benchmark("binary-trees", "binary_trees.c", "maximum depth", 4, 24,
                  {"quick": 14, "standard": 18, "paper": 21}, references.binary_trees,
                  work=lambda n: 2.0 ** n, tags=frozenset({COMPUTE})),
    )
}
START_BENCHMARKS = tuple(n for n, b in BENCHMARKS.items() if START in b.tags)
"""The start ladder's benchmarks (the study's nop and cat-sync)."""
COMPUTE_BENCHMARKS = tuple(n for n, b in BENCHMARKS.items() if COMPUTE in b.tags)
"""The study's Table 1 programs."""


def get(name: str) -> Benchmark:
    """Look a benchmark up, with the valid names in the error."""
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise ValueError(
            f"unknown benchmark {name!r}; valid: {', '.join(BENCHMARKS)}"
        ) from None
