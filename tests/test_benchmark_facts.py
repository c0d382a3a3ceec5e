"""Benchmark facts live once (engine/benchmarks.py) and the C programs enforce the same limits.

The limits are read from the C sources themselves (their ``parse_size`` call and ``#define``s),
so a program and the engine cannot drift apart unnoticed.
"""

from __future__ import annotations

import re

import pytest

from engine.build.artifacts import source_path
from engine.spec.benchmarks import BENCHMARKS, PRESET_ITERATIONS, PRESETS

pytestmark = pytest.mark.fast

CALL = re.compile(r"parse_size\(\s*argc\s*,\s*argv\s*,\s*\"[^\"]*\"\s*,\s*(\w+)\s*,\s*(\w+)\s*\)")


def c_limits(text: str) -> tuple[int, int] | None:
    """(low, high) from the program's parse_size call, resolving #define'd names."""
    match = CALL.search(text)
    if match is None:
        return None
    defines = dict(re.findall(r"#define\s+(\w+)\s+(-?\d+)L?\b", text))
    return tuple(int(defines.get(name, name)) for name in match.groups())  # type: ignore[return-value]


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_c_limits_match_the_engine(name: str) -> None:
    bench = BENCHMARKS[name]
    text = source_path(name).read_text()
    limits = c_limits(text)
    if name == "nop":
        assert limits is None and "main(void)" in text, "nop takes no argument"
        assert (bench.min_size, bench.max_size) == (0, 0)
    elif bench.data_file is not None:
        assert limits is None, "a data-reading program takes a path, not a size"
    else:
        assert limits == (bench.min_size, bench.max_size), \
            f"{bench.source} accepts {limits}, the engine {bench.min_size}..{bench.max_size}"


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_every_preset_size_is_in_range(name: str) -> None:
    bench = BENCHMARKS[name]
    assert set(bench.presets) == set(PRESETS) == set(PRESET_ITERATIONS)
    for size in bench.presets.values():
        bench.check_size(size)


def test_out_of_range_is_refused_with_the_meaning() -> None:
    with pytest.raises(ValueError, match="steps must be between 1 and 500000000"):
        BENCHMARKS["nbody"].check_size(0)
    with pytest.raises(ValueError, match="unused"):
        BENCHMARKS["nop"].check_size(1)
