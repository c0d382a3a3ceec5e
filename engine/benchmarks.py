"""The benchmark programs: their C sources, sane size ranges, presets and guest arguments.

Sizes follow the study (Long, Tai, Wang: WebAssembly for FaaS): the ``paper`` preset uses
its sizes and 50 iterations; ``quick`` keeps each native run well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GUEST_DIR = "/workspace"
"""Where runtimes show a benchmark's data directory to the guest (read-only)."""

CAT_SYNC_FILE = "input.bin"
PRESET_ITERATIONS = {"quick": 5, "standard": 20, "paper": 50}
PRESETS = tuple(PRESET_ITERATIONS)


@dataclass(frozen=True)
class Benchmark:
    """One program; ``size`` means steps, n, pixels, depth or bytes depending on the program."""

    name: str
    source: str
    size_meaning: str
    min_size: int
    max_size: int
    presets: dict[str, int] = field(default_factory=dict)
    reads_data: bool = False

    def check_size(self, size: int) -> None:
        """Reject sizes that would be meaningless or would run for hours."""
        if not self.min_size <= size <= self.max_size:
            raise ValueError(
                f"size {size} for {self.name} is out of range: {self.size_meaning} must be "
                f"between {self.min_size} and {self.max_size}"
            )

    def guest_args(self, size: int, data_dir: str = GUEST_DIR) -> list[str]:
        """argv after the program name; ``data_dir`` is where the runtime shows the data."""
        if self.name == "nop":
            return []
        if self.reads_data:
            return [f"{data_dir}/{CAT_SYNC_FILE}"]
        return [str(size)]


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark("nop", "nop.c", "unused (0)", 0, 0,
                  {"quick": 0, "standard": 0, "paper": 0}),
        Benchmark("cat-sync", "cat_sync.c", "the data file's size in bytes", 0, 1 << 30,
                  {"quick": 1 << 20, "standard": 1 << 20, "paper": 1 << 20}, reads_data=True),
        Benchmark("nbody", "nbody.c", "steps", 1, 500_000_000,
                  {"quick": 100_000, "standard": 20_000_000, "paper": 50_000_000}),
        Benchmark("fannkuch-redux", "fannkuch_redux.c", "n", 3, 12,
                  {"quick": 9, "standard": 11, "paper": 12}),
        Benchmark("mandelbrot", "mandelbrot.c", "width = height in pixels", 1, 20_000,
                  {"quick": 400, "standard": 6_000, "paper": 15_000}),
        Benchmark("binary-trees", "binary_trees.c", "maximum depth", 4, 24,
                  {"quick": 14, "standard": 18, "paper": 21}),
    )
}


def get(name: str) -> Benchmark:
    """Look a benchmark up, with the valid names in the error."""
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise ValueError(
            f"unknown benchmark {name!r}; valid: {', '.join(BENCHMARKS)}"
        ) from None
