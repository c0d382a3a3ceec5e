"""Independent pure-Python reference implementations of the benchmark programs.

Every benchmark run is checked against these, so a runtime that silently
computes a wrong answer (or a program whose work was optimised away) is caught.
They are written separately from the C sources in ``c_sources/`` and produce the
exact expected stdout bytes.

Floating-point benchmarks (nbody, mandelbrot) mirror the C operation order
exactly. Python floats are IEEE-754 doubles with round-to-nearest, the C
programs are built with ``-ffp-contract=off`` (no fused multiply-add) and
without ``-ffast-math``, and ``sqrt``/``%.9f`` are correctly rounded on both
sides, so the bytes match bit-for-bit.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

__all__ = ["binary_trees", "cat_sync", "fannkuch_redux", "fnv1a64", "mandelbrot", "nbody", "nop",
           "write_data_file"]


def nop(size: int, data_file: Optional[Path] = None) -> bytes:
    """nop prints nothing."""
    return b""


# --------------------------------------------------------------------------
# cat-sync
# --------------------------------------------------------------------------

FNV64_OFFSET_BASIS = 0xCBF29CE484222325
FNV64_PRIME = 0x100000001B3
_MASK64 = (1 << 64) - 1
_READ_CHUNK = 1 << 20


def fnv1a64(data: bytes, h: int = FNV64_OFFSET_BASIS) -> int:
    """FNV-1a 64-bit of data, continuing from hash state h (for streaming).

    Processes four bytes per loop iteration and masks to 64 bits only once per
    group: the low 64 bits of a product depend only on the low 64 bits of the
    factors and XOR with a byte only touches the low 8 bits, so the result is
    identical to masking after every byte (about 0.1 s per MiB on CPython).
    """
    p = FNV64_PRIME
    mask = _MASK64
    whole = len(data) & ~3
    it = iter(memoryview(data)[:whole])
    for a, b, c, d in zip(it, it, it, it):
        h = (((((((h ^ a) * p) ^ b) * p) ^ c) * p ^ d) * p) & mask
    for a in data[whole:]:
        h = ((h ^ a) * p) & mask
    return h


def cat_sync(size: int, data_file: Optional[Path] = None) -> bytes:
    """Length and FNV-1a 64 of the data file, in cat_sync's output format (``size`` is the
    file's, which the file itself says)."""
    if data_file is None:
        raise ValueError("cat-sync needs data_file")
    h = FNV64_OFFSET_BASIS
    total = 0
    with open(data_file, "rb") as f:
        while True:
            chunk = f.read(_READ_CHUNK)
            if not chunk:
                break
            h = fnv1a64(chunk, h)
            total += len(chunk)
    return f"bytes={total} fnv1a64={h:016x}\n".encode("ascii")


_DATA_DOMAIN = b"faasbench cat-sync data v1\x00"
_DATA_BLOCK = 1 << 20


def write_data_file(path: Path, size_bytes: int, seed: int = 0) -> None:
    """Write size_bytes of deterministic pseudo-random data for cat-sync.

    Block k (1 MiB each) is SHAKE-128 of (domain, seed, k), so the content is
    the same on every machine and Python version, a shorter file is a prefix of
    a longer one with the same seed, and it is fast (about 250 MB/s) while
    holding only one block in memory. Random bytes keep filesystems and
    transports from compressing or deduplicating the file.
    """
    if isinstance(size_bytes, bool) or not isinstance(size_bytes, int) or size_bytes < 0:
        raise ValueError(f"size_bytes must be a non-negative int, got {size_bytes!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 1 << 64:
        raise ValueError(f"seed must be an int in 0..2**64-1, got {seed!r}")
    import hashlib  # here, not at import: it costs every command's start 5 ms (--help too)

    prefix = _DATA_DOMAIN + seed.to_bytes(8, "little")
    with open(path, "wb") as f:
        remaining = size_bytes
        block = 0
        while remaining > 0:
            n = min(remaining, _DATA_BLOCK)
            f.write(hashlib.shake_128(prefix + block.to_bytes(8, "little")).digest(n))
            remaining -= n
            block += 1


# --------------------------------------------------------------------------
# nbody
# --------------------------------------------------------------------------

_PI = 3.141592653589793
_SOLAR_MASS = 4.0 * _PI * _PI
_DAYS_PER_YEAR = 365.24
_DT = 0.01


def _initial_bodies() -> list[list[float]]:
    """Sun, Jupiter, Saturn, Uranus, Neptune as [x, y, z, vx, vy, vz, mass].

    The scaling products are computed in the same order as the C initialiser
    (factor * DAYS_PER_YEAR, factor * SOLAR_MASS), so they round identically.
    """
    dpy = _DAYS_PER_YEAR
    sm = _SOLAR_MASS
    return [
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, sm],
        [
            4.84143144246472090e00,
            -1.16032004402742839e00,
            -1.03622044471123109e-01,
            1.66007664274403694e-03 * dpy,
            7.69901118419740425e-03 * dpy,
            -6.90460016972063023e-05 * dpy,
            9.54791938424326609e-04 * sm,
        ],
        [
            8.34336671824457987e00,
            4.12479856412430479e00,
            -4.03523417114321381e-01,
            -2.76742510726862411e-03 * dpy,
            4.99852801234917238e-03 * dpy,
            2.30417297573763929e-05 * dpy,
            2.85885980666130812e-04 * sm,
        ],
        [
            1.28943695621391310e01,
            -1.51111514016986312e01,
            -2.23307578892655734e-01,
            2.96460137564761618e-03 * dpy,
            2.37847173959480950e-03 * dpy,
            -2.96589568540237556e-05 * dpy,
            4.36624404335156298e-05 * sm,
        ],
        [
            1.53796971148509165e01,
            -2.59193146099879641e01,
            1.79258772950371181e-01,
            2.68067772490389322e-03 * dpy,
            1.62824170038242295e-03 * dpy,
            -9.51592254519715870e-05 * dpy,
            5.15138902046611451e-05 * sm,
        ],
    ]


def _nbody_energy(bodies: list[list[float]]) -> float:
    """Total energy; same summation order as energy() in nbody.c."""
    e = 0.0
    n = len(bodies)
    for i in range(n):
        xi, yi, zi, vx, vy, vz, mi = bodies[i]
        e += 0.5 * mi * (vx * vx + vy * vy + vz * vz)
        for j in range(i + 1, n):
            bj = bodies[j]
            dx = xi - bj[0]
            dy = yi - bj[1]
            dz = zi - bj[2]
            e -= (mi * bj[6]) / math.sqrt(dx * dx + dy * dy + dz * dz)
    return e


def nbody(steps: int, data_file: Optional[Path] = None) -> bytes:
    """Energy before and after `steps` steps, mirroring nbody.c exactly."""
    bodies = _initial_bodies()
    px = py = pz = 0.0
    for b in bodies:
        px += b[3] * b[6]
        py += b[4] * b[6]
        pz += b[5] * b[6]
    sun = bodies[0]
    sun[3] = -px / _SOLAR_MASS
    sun[4] = -py / _SOLAR_MASS
    sun[5] = -pz / _SOLAR_MASS

    before = _nbody_energy(bodies)
    pairs = [(bodies[i], bodies[j]) for i in range(len(bodies)) for j in range(i + 1, len(bodies))]
    dt = _DT
    sqrt = math.sqrt
    for _ in range(steps):
        for bi, bj in pairs:
            dx = bi[0] - bj[0]
            dy = bi[1] - bj[1]
            dz = bi[2] - bj[2]
            d2 = dx * dx + dy * dy + dz * dz
            mag = dt / (d2 * sqrt(d2))
            mj_mag = bj[6] * mag
            mi_mag = bi[6] * mag
            bi[3] -= dx * mj_mag
            bi[4] -= dy * mj_mag
            bi[5] -= dz * mj_mag
            bj[3] += dx * mi_mag
            bj[4] += dy * mi_mag
            bj[5] += dz * mi_mag
        for b in bodies:
            b[0] += dt * b[3]
            b[1] += dt * b[4]
            b[2] += dt * b[5]
    after = _nbody_energy(bodies)
    return f"{before:.9f}\n{after:.9f}\n".encode("ascii")


# --------------------------------------------------------------------------
# fannkuch-redux
# --------------------------------------------------------------------------


def fannkuch_redux(n: int, data_file: Optional[Path] = None) -> bytes:
    """Checksum and max flips over all n! permutations, in fannkuch_redux.c's order.

    Order: start at the identity; each step rotates the first 2 elements left
    by one; the prefix of length k+1 has a counter starting at k+1, and when
    it runs out it is reset and the prefix one longer is rotated as well. The
    checksum adds the flip count of even-numbered permutations and subtracts
    that of odd-numbered ones.
    """
    perm = list(range(n))
    rotations_left = [k + 1 for k in range(n)]
    checksum = 0
    max_flips = 0
    sign = 1
    while True:
        first = perm[0]
        if first:
            work = perm[:]
            flips = 0
            while first:
                work[: first + 1] = work[first::-1]
                flips += 1
                first = work[0]
            if flips > max_flips:
                max_flips = flips
            checksum += sign * flips
        sign = -sign

        k = 1
        while True:
            perm.insert(k, perm.pop(0))
            rotations_left[k] -= 1
            if rotations_left[k]:
                break
            rotations_left[k] = k + 1
            k += 1
            if k == n:
                return f"{checksum}\nPfannkuchen({n}) = {max_flips}\n".encode("ascii")


# --------------------------------------------------------------------------
# mandelbrot
# --------------------------------------------------------------------------

_MANDELBROT_ITERATIONS = 50


def _mandelbrot_row(crs: list[float], ci: float) -> bytes:
    """One packed PBM row (MSB first, 1 = in the set), same arithmetic as mandelbrot.c."""
    n = len(crs)
    row = bytearray((n + 7) // 8)
    iterations = range(_MANDELBROT_ITERATIONS)
    for x, cr in enumerate(crs):
        zr = 0.0
        zi = 0.0
        for _ in iterations:
            new_zr = zr * zr - zi * zi + cr
            zi = 2.0 * zr * zi + ci
            zr = new_zr
            if zr * zr + zi * zi > 4.0:
                break
        else:
            row[x >> 3] |= 0x80 >> (x & 7)
    return bytes(row)


def mandelbrot(n: int, data_file: Optional[Path] = None) -> bytes:
    """P4 image of the Mandelbrot set on an n x n grid, as mandelbrot.c writes it.

    Rows whose ci values are exact negatives of each other are identical
    (negating ci negates every zi bit-exactly under round-to-nearest, and the
    escape test only uses squares), so each distinct |ci| is computed once.
    """
    crs = [2.0 * x / n - 1.5 for x in range(n)]
    cache: dict[float, bytes] = {}
    parts = [b"P4\n%d %d\n" % (n, n)]
    for y in range(n):
        ci = 2.0 * y / n - 1.0
        key = abs(ci)
        row = cache.get(key)
        if row is None:
            row = _mandelbrot_row(crs, ci)
            cache[key] = row
        parts.append(row)
    return b"".join(parts)


# --------------------------------------------------------------------------
# binary-trees
# --------------------------------------------------------------------------

_MIN_DEPTH = 4


def _tree_nodes(depth: int) -> int:
    """Nodes in a perfect binary tree of the given depth (depth 0 = one leaf)."""
    return (1 << (depth + 1)) - 1


def binary_trees(n: int, data_file: Optional[Path] = None) -> bytes:
    """The binary-trees report in closed form (instant at any depth)."""
    max_depth = max(_MIN_DEPTH + 2, n)
    stretch = max_depth + 1
    lines = [f"stretch tree of depth {stretch}\t check: {_tree_nodes(stretch)}\n"]
    for d in range(_MIN_DEPTH, max_depth + 1, 2):
        iterations = 1 << (max_depth - d + _MIN_DEPTH)
        lines.append(f"{iterations}\t trees of depth {d}\t check: {iterations * _tree_nodes(d)}\n")
    lines.append(f"long lived tree of depth {max_depth}\t check: {_tree_nodes(max_depth)}\n")
    return "".join(lines).encode("ascii")
