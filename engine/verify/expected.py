"""Expected outputs and the check every sample goes through.

The reference for a size is the independent Python implementation (``references``, the
benchmark's ``reference``) where that finishes in seconds, else the native build's output
(recorded as such). References are cached on disk, keyed by the reference code's hash, so a
rerun does not recompute them. ``judge`` is the verdict on every sample (and every burst
answer): it ran, exited 0 and printed exactly the reference.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Optional, Union

from engine import paths, serial
from engine.build import datafiles
from engine.files import write_atomic
from engine.runtimes.base import Invocation, Job
from engine.runtimes.process import spawn_and_wait, tail
from engine.serial import Record
from engine.spec.benchmarks import BENCHMARKS
from engine.verify import references

TEXT_LIMIT = 64 * 1024
"""Outputs up to this size keep their text, so a mismatch can name the first differing line."""


class ReferenceSpec(Record):
    """What the worker needs to find (or compute) the expected output of a cell."""

    benchmark: str
    size: int
    native_artifact: Optional[str]
    """The native build, for sizes above the Python reference's limit (else None)."""
    native_key: str


class Expected(Record):
    """A cell's reference output: its hash and length, its text when short, and where it
    came from."""

    sha256: str
    length: int
    text: Optional[str]
    source: str


def expected_from_bytes(data: bytes, source: str) -> Expected:
    text = None
    if len(data) <= TEXT_LIMIT:
        try:
            text = data.decode()
        except UnicodeDecodeError:
            text = None
    return Expected(hashlib.sha256(data).hexdigest(), len(data), text, source)


def judge(inv: Invocation, job: Job, expected: Expected,
          stdout_bytes: Optional[int] = None) -> bool:
    """A sample is ok only if the guest ran, exited 0 and printed exactly the reference;
    otherwise ``inv.error`` says why (with the guest's last words on stderr).
    ``stdout_bytes``: the output's size, when the runtime knows it (``Runtime.stdout_bytes``)."""
    if inv.error is None and inv.exit_code not in (0, None):
        inv.error = f"exit code {inv.exit_code}"
    if inv.error is None and inv.exit_code is None:
        inv.error = "no exit status"
    if inv.error is not None:
        last_words = tail(job.stderr_path)
        inv.error = f"{inv.error}: {last_words}" if last_words else inv.error
        return False
    inv.error = check(job.stdout_path, expected, stdout_bytes)
    return inv.error is None


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    length = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            length += len(chunk)
    return digest.hexdigest(), length


def _fd_sha256(fd: int) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: os.read(fd, 1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def check(output: Union[str, Path], expected: Expected,
          size: Optional[int] = None) -> Optional[str]:
    """None when the output matches, else a one-line description of the difference.

    It runs after every sample, so a match costs as little as it can: the size is compared
    first (an empty expected output needs nothing else), and only an output of the expected
    size is hashed. Any difference is then described by ``_difference``. A ``str`` path
    saves building a ``Path`` per sample, and a ``size`` the caller already knows (from a
    file it holds open) saves looking the file up.
    """
    if expected.length == 0:
        if (os.stat(output).st_size if size is None else size) == 0:
            return None
    elif size is None or size == expected.length:
        fd = os.open(output, os.O_RDONLY)
        try:
            if (size is not None or os.fstat(fd).st_size == expected.length) \
                    and _fd_sha256(fd) == expected.sha256:
                return None
        finally:
            os.close(fd)
    return _difference(Path(output), expected)


def _difference(output: Path, expected: Expected) -> str:
    """How an output that does not match differs from the reference: the first differing line
    when both are short text, else sizes and hashes."""
    digest, length = _file_digest(output)
    if expected.text is not None and length <= TEXT_LIMIT:
        got = output.read_bytes().decode(errors="replace").splitlines()
        want = expected.text.splitlines()
        for number, (g, w) in enumerate(zip(got, want), start=1):
            if g != w:
                return f"output mismatch at line {number}: expected {w!r}, got {g!r}"
        return (f"output mismatch: expected {len(want)} lines, got {len(got)}"
                + (f" (last: {got[-1]!r})" if got else " (empty output)"))
    return (f"output mismatch: expected {expected.length} bytes (sha256 {expected.sha256[:12]}), "
            f"got {length} bytes (sha256 {digest[:12]})")


def _reference_version() -> str:
    return hashlib.sha256(Path(references.__file__).read_bytes()).hexdigest()[:12]


def _native_output(spec: ReferenceSpec, timeout_s: float) -> bytes:
    """What the native build prints for this size: the reference above the Python limits."""
    if spec.native_artifact is None:
        raise RuntimeError(f"size {spec.size} of {spec.benchmark} needs the native build as its "
                           "reference, and none was built")
    bench = BENCHMARKS[spec.benchmark]
    host_dir = str(datafiles.benchmark_dir(spec.benchmark, spec.size))
    with tempfile.TemporaryDirectory() as tmp:
        out, err = f"{tmp}/out", f"{tmp}/err"
        result = spawn_and_wait(spec.native_artifact,
                                [spec.benchmark, *bench.guest_args(spec.size, host_dir)],
                                stdout_path=out, stderr_path=err, timeout_s=timeout_s)
        if result.failure():
            raise RuntimeError(f"reference run of the native build failed: {result.failure()}")
        return Path(out).read_bytes()


def reference_for(spec: ReferenceSpec, timeout_s: float) -> Expected:
    """The expected output for this benchmark and size, computed once and cached on disk.

    The worker calls this while preparing a cell, after it made the benchmark's input, so a
    cancel reaches a long computation.
    """
    bench = BENCHMARKS[spec.benchmark]
    limit = bench.reference_limit
    python_ok = spec.size <= limit
    key = f"{spec.benchmark}-{spec.size}-" + (f"py{_reference_version()}" if python_ok
                                              else f"native{spec.native_key}")
    cache = paths.cache_dir() / "references" / f"{key}.json"
    if cache.exists():
        return serial.decode(cache.read_bytes(), Expected)  # type: ignore[no-any-return]
    if python_ok:
        expected = expected_from_bytes(
            bench.expected_output(spec.size, datafiles.input_file(spec.benchmark, spec.size)),
            "python reference implementation")
    else:
        expected = expected_from_bytes(
            _native_output(spec, timeout_s),
            f"native build {spec.native_key} (size {spec.size} is above the Python "
            f"reference's limit {limit})")
    write_atomic(cache, serial.encode(expected))
    return expected
