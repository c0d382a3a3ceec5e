"""Tests for engine/verify/references.py against known and closed-form facts.

The references are the oracle for every benchmark run, so they are checked
here against values that do not come from the references themselves: published
results, hand-derived pixels and permutations, brute force, and textbook FNV
test vectors. (The C programs are checked against the references by the
engine's own tests, on every runtime.)
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest

from engine.spec import benchmarks
from engine.spec.benchmarks import BENCHMARKS
from engine.verify.references import fnv1a64, write_data_file

pytestmark = pytest.mark.fast


def expected_output(name: str, size: int, data_file: Path | None = None) -> bytes:
    """What benchmark ``name`` must print at ``size``, from its record's reference."""
    return benchmarks.get(name).expected_output(size, data_file)

# ---------------------------------------------------------------- nop


def test_nop_prints_nothing_and_takes_no_size() -> None:
    assert expected_output("nop", 0) == b""
    with pytest.raises(ValueError, match="out of range"):
        expected_output("nop", 12345)


# ---------------------------------------------------------------- nbody


def test_nbody_1000_published_values() -> None:
    assert expected_output("nbody", 1000) == b"-0.169075164\n-0.169087605\n"


def test_nbody_100000_cross_checked_with_c() -> None:
    """Recorded from c_sources/nbody.c (native x86_64-musl and wasm32-wasi agree).

    Longer runs make small integrator mistakes visible in the printed digits.
    """
    assert expected_output("nbody", 100_000) == b"-0.169075164\n-0.169079859\n"


def test_nbody_energy_changes_with_steps() -> None:
    before, after = expected_output("nbody", 10_000).decode().splitlines()
    assert before == "-0.169075164"
    assert after != before
    assert abs(float(after) - float(before)) < 1e-4  # the integrator conserves energy well


# ---------------------------------------------------------------- fannkuch-redux


@pytest.mark.parametrize(
    ("n", "checksum", "max_flips"),
    [
        (3, 2, 2),  # derived by hand from the permutation order
        (7, 228, 16),
        (8, 1616, 22),
        (9, 8629, 30),
    ],
)
def test_fannkuch_known_values(n: int, checksum: int, max_flips: int) -> None:
    expected = f"{checksum}\nPfannkuchen({n}) = {max_flips}\n".encode()
    assert expected_output("fannkuch-redux", n) == expected


def _brute_force_max_flips(n: int) -> int:
    best = 0
    for p in itertools.permutations(range(n)):
        work = list(p)
        flips = 0
        while work[0] != 0:
            k = work[0]
            work[: k + 1] = reversed(work[: k + 1])
            flips += 1
        best = max(best, flips)
    return best


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7])
def test_fannkuch_max_flips_matches_brute_force(n: int) -> None:
    """Max flips does not depend on permutation order, so brute force must agree."""
    last_line = expected_output("fannkuch-redux", n).decode().splitlines()[1]
    assert last_line == f"Pfannkuchen({n}) = {_brute_force_max_flips(n)}"


# ---------------------------------------------------------------- mandelbrot


def _pbm(n: int) -> tuple[bytes, bytes]:
    out = expected_output("mandelbrot", n)
    header = f"P4\n{n} {n}\n".encode()
    assert out.startswith(header)
    return header, out[len(header) :]


def _pixel(n: int, body: bytes, x: int, y: int) -> int:
    row_bytes = (n + 7) // 8
    return (body[y * row_bytes + x // 8] >> (7 - x % 8)) & 1


@pytest.mark.parametrize("n", [1, 7, 8, 9, 63, 200])
def test_mandelbrot_header_and_length(n: int) -> None:
    _, body = _pbm(n)
    assert len(body) == n * ((n + 7) // 8)


def test_mandelbrot_1_single_pixel_escapes() -> None:
    # c = -1.5 - 1i: z1 = c (|z|^2 = 3.25), z2 = -0.25 + 2i (|z|^2 = 4.0625 > 4).
    assert expected_output("mandelbrot", 1) == b"P4\n1 1\n\x00"


def test_mandelbrot_4_hand_checked_rows() -> None:
    # x -> cr = -1.5, -1.0, -0.5, 0.0; y -> ci = -1.0, -0.5, 0.0, 0.5.
    _, body = _pbm(4)
    assert len(body) == 4
    # Row ci = -1: only c = -i is in the set (orbit 0, -i, -1-i, i, -1-i, ... exact);
    # -1.5-i, -1-i and -0.5-i escape within 3 iterations.
    assert body[0] == 0b0001_0000
    # Row ci = 0: the real segment [-2, 0.25] is in the set (c = -1.5, -1, -0.5, 0).
    assert body[2] == 0b1111_0000


def test_mandelbrot_hand_checked_pixels_200() -> None:
    n = 200
    _, body = _pbm(n)
    # Pixel (x, y) has c = (2x/n - 1.5) + (2y/n - 1)i.
    assert _pixel(n, body, 150, 100) == 1  # c = 0
    assert _pixel(n, body, 50, 100) == 1  # c = -1 (period-2 cycle)
    assert _pixel(n, body, 150, 0) == 1  # c = -i (preperiodic)
    assert _pixel(n, body, 0, 0) == 0  # c = -1.5 - i escapes
    assert _pixel(n, body, 199, 199) == 0  # c ~ 0.49 + 0.99i, far outside
    assert _pixel(n, body, 175, 100) == 1  # c = 0.25, the cusp (converges slowly)
    assert _pixel(n, body, 176, 100) == 0  # c = 0.26 escapes within 50 iterations


# sha256 of the whole P4 output, recorded from c_sources/mandelbrot.c (native
# x86_64-musl and wasm32-wasi agree); catches changes to iteration count,
# arithmetic order or row handling that the hand-checked pixels cannot see.
MANDELBROT_SHA256 = {
    200: "97610473750700638fc63d13cfa49d339b67c18e7f26b3f9c9acb61e746472d5",
    600: "f530a0e3d6c29744b23538d1006ddbac0a88effe0a7581c5ea6f7509cccf8667",
}


@pytest.mark.parametrize("n", sorted(MANDELBROT_SHA256))
def test_mandelbrot_cross_checked_with_c(n: int) -> None:
    digest = hashlib.sha256(expected_output("mandelbrot", n)).hexdigest()
    assert digest == MANDELBROT_SHA256[n]


def test_mandelbrot_padding_bits_are_zero() -> None:
    n = 9  # 2 bytes per row, 7 padding bits
    _, body = _pbm(n)
    assert any(body[y * 2] for y in range(n))  # not trivially empty
    for y in range(n):
        assert body[y * 2 + 1] & 0x7F == 0


def test_mandelbrot_matches_naive_per_pixel_loop() -> None:
    """Same arithmetic, written as plainly as possible: guards packing and row caching."""
    n = 63
    _, body = _pbm(n)
    for y in range(n):
        for x in range(n):
            cr = 2.0 * x / n - 1.5
            ci = 2.0 * y / n - 1.0
            zr = zi = 0.0
            inside = 1
            for _ in range(50):
                zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                if zr * zr + zi * zi > 4.0:
                    inside = 0
                    break
            assert _pixel(n, body, x, y) == inside, (x, y)


# ---------------------------------------------------------------- binary-trees

BINARY_TREES_6 = (
    "stretch tree of depth 7\t check: 255\n"
    "64\t trees of depth 4\t check: 1984\n"
    "16\t trees of depth 6\t check: 2032\n"
    "long lived tree of depth 6\t check: 127\n"
)

BINARY_TREES_10 = (
    "stretch tree of depth 11\t check: 4095\n"
    "1024\t trees of depth 4\t check: 31744\n"
    "256\t trees of depth 6\t check: 32512\n"
    "64\t trees of depth 8\t check: 32704\n"
    "16\t trees of depth 10\t check: 32752\n"
    "long lived tree of depth 10\t check: 2047\n"
)


def test_binary_trees_6() -> None:
    assert expected_output("binary-trees", 6).decode() == BINARY_TREES_6


def test_binary_trees_small_n_uses_min_depth_plus_two() -> None:
    for n in (4, 5):
        assert expected_output("binary-trees", n).decode() == BINARY_TREES_6


def test_binary_trees_10() -> None:
    assert expected_output("binary-trees", 10).decode() == BINARY_TREES_10


def test_binary_trees_odd_depth_structure() -> None:
    lines = expected_output("binary-trees", 7).decode().splitlines()
    assert lines[0] == "stretch tree of depth 8\t check: 511"
    assert lines[1:-1] == [
        "128\t trees of depth 4\t check: 3968",
        "32\t trees of depth 6\t check: 4064",
    ]
    assert lines[-1] == "long lived tree of depth 7\t check: 255"


def test_binary_trees_large_depth_is_closed_form() -> None:
    out = expected_output("binary-trees", 24).decode().splitlines()
    assert out[0] == f"stretch tree of depth 25\t check: {2**26 - 1}"
    assert len(out) == 2 + len(range(4, 25, 2))


# ---------------------------------------------------------------- cat-sync


def _naive_fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) % 2**64
    return h


@pytest.mark.parametrize(
    ("data", "digest"),
    [
        (b"", 0xCBF29CE484222325),
        (b"a", 0xAF63DC4C8601EC8C),
        (b"foobar", 0x85944171F73967E8),
    ],
)
def test_fnv1a64_known_vectors(data: bytes, digest: int) -> None:
    assert fnv1a64(data) == digest


def test_fnv1a64_grouped_loop_matches_naive_for_all_tail_lengths() -> None:
    data = bytes(range(256)) * 3
    for length in [*range(12), 255, 256, 257, 767, 768]:
        assert fnv1a64(data[:length]) == _naive_fnv1a64(data[:length]), length


def test_fnv1a64_streaming_equals_one_shot() -> None:
    data = hashlib.sha256(b"x").digest() * 5
    assert fnv1a64(data[77:], fnv1a64(data[:77])) == fnv1a64(data)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", b"bytes=0 fnv1a64=cbf29ce484222325\n"),
        (b"a", b"bytes=1 fnv1a64=af63dc4c8601ec8c\n"),
        (b"foobar", b"bytes=6 fnv1a64=85944171f73967e8\n"),
    ],
)
def test_cat_sync_known_files(tmp_path: Path, content: bytes, expected: bytes) -> None:
    f = tmp_path / "data.bin"
    f.write_bytes(content)
    assert expected_output("cat-sync", 0, f) == expected


def test_cat_sync_multi_chunk_file(tmp_path: Path) -> None:
    """Longer than the 1 MiB read chunk, so hash state must carry across chunks."""
    f = tmp_path / "big.bin"
    write_data_file(f, (1 << 20) + 12_345, seed=7)
    data = f.read_bytes()
    expected = f"bytes={len(data)} fnv1a64={_naive_fnv1a64(data):016x}\n".encode()
    assert expected_output("cat-sync", 999, f) == expected


def test_cat_sync_needs_data_file() -> None:
    with pytest.raises(ValueError):
        expected_output("cat-sync", 0)


# ---------------------------------------------------------------- write_data_file


@pytest.mark.parametrize("size", [0, 1, 1000, 65536, 65537, (1 << 20) + 1])
def test_write_data_file_exact_size_and_deterministic(tmp_path: Path, size: int) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_data_file(a, size)
    write_data_file(b, size, seed=0)
    assert a.stat().st_size == size
    assert a.read_bytes() == b.read_bytes()


def test_write_data_file_overwrites_existing(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"x" * 5000)
    write_data_file(f, 10)
    assert f.stat().st_size == 10


def test_write_data_file_seed_matters_and_prefix_property(tmp_path: Path) -> None:
    small, big, other = tmp_path / "small", tmp_path / "big", tmp_path / "other"
    write_data_file(small, 70_000, seed=1)
    write_data_file(big, (1 << 20) + 5, seed=1)
    write_data_file(other, 70_000, seed=2)
    assert big.read_bytes()[:70_000] == small.read_bytes()
    assert other.read_bytes() != small.read_bytes()


def test_write_data_file_looks_random(tmp_path: Path) -> None:
    f = tmp_path / "f"
    write_data_file(f, 1 << 16)
    data = f.read_bytes()
    assert len(set(data)) == 256
    assert max(data.count(bytes([b])) for b in range(256)) < 2 * (len(data) // 256)


# Recorded from the first implementation (CPython 3.9, 3.11 and 3.13 agree).
PINNED_SHA256_1500000_SEED0 = "cd9a5e24e31d54842f1443ef8b8827e2a64b31ba89cbd1cb6fffa1a6ab898e1e"


def test_write_data_file_is_pinned(tmp_path: Path) -> None:
    """The byte stream is part of the data format: it must never change silently."""
    f = tmp_path / "f"
    write_data_file(f, 1_500_000, seed=0)
    assert hashlib.sha256(f.read_bytes()).hexdigest() == PINNED_SHA256_1500000_SEED0


def test_write_data_file_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_data_file(tmp_path / "f", -1)
    with pytest.raises(ValueError):
        write_data_file(tmp_path / "f", 10, seed=-1)


# ---------------------------------------------------------------- API


def test_unknown_benchmark_rejected() -> None:
    with pytest.raises(ValueError):
        expected_output("nbody2", 10)


@pytest.mark.parametrize(
    ("benchmark", "size"),
    [
        ("nop", 1),
        ("nbody", 0),
        ("nbody", 500_000_001),
        ("fannkuch-redux", 2),
        ("fannkuch-redux", 13),
        ("mandelbrot", 0),
        ("mandelbrot", 20_001),
        ("binary-trees", 3),
        ("binary-trees", 25),
    ],
)
def test_out_of_range_sizes_rejected(benchmark: str, size: int) -> None:
    with pytest.raises(ValueError):
        expected_output(benchmark, size)


def test_limits_are_valid_sizes() -> None:
    for bench in BENCHMARKS.values():
        assert bench.reference_limit >= bench.min_size
    for name in ("nop", "cat-sync", "binary-trees"):
        assert BENCHMARKS[name].reference_limit >= 10**12
