"""The pinned C toolchain (zig cc from the ``ziglang`` wheel) and the flags each target uses.

Both targets get the same optimisation level and ``-ffp-contract=off`` (no FMA fusion), so
floating-point results are identical on every runtime and checkable against one reference.
A build profile fixes the vector width each side may use, because vectors decide compute
results more than runtimes do (``PROFILES``); Docker runs the very native binary ``native`` runs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from engine.files import atomic_path
from engine.serial import Record
from engine.terms import Target

OPT_LEVELS = ("O0", "O1", "O2", "O3", "Os", "Oz")


@dataclass(frozen=True)
class Profile:
    """What each side of the comparison is compiled for."""

    native_cpu: str
    """``baseline``: the portable ISA (x86-64: SSE2, 128-bit vectors); ``native``: this CPU."""
    wasm_simd: bool
    """WebAssembly's fixed-width SIMD (simd128), which runtimes lower to 128-bit vectors."""
    meaning: str


PROFILES: dict[str, Profile] = {
    "same-width": Profile("baseline", True, "128-bit vectors on both sides: portable native "
                                            "(SSE2 on x86-64), WebAssembly with simd128"),
    "study": Profile("baseline", False, "the study's setting: portable native, WebAssembly "
                                        "without SIMD"),
    "best": Profile("native", True, "the best each side can do here: native for this CPU, "
                                    "WebAssembly with simd128"),
}
DEFAULT_PROFILE = "same-width"
LIBCS = {
    "musl": "static musl: one file that runs anywhere, FROM scratch too; a slow malloc",
    "glibc": "dynamic glibc (the machine's): an allocator comparable to wasi-libc's; Docker then "
             "needs a base image with glibc (--docker-base)",
}
"""The native build's C library. It matters for allocation-heavy programs (binary-trees): an
allocator result must not be read as a runtime result."""
WASM_STACK_BYTES = 1 << 20
"""zig's default wasm stack is 16 MiB (257 initial pages); 1 MiB is ample for these programs."""


class ToolchainError(RuntimeError):
    """The compiler is missing or rejected a program."""


def zig_path() -> Path:
    """The zig binary shipped inside the ``ziglang`` wheel."""
    try:
        import ziglang
    except ImportError as exc:
        raise ToolchainError(
            "the ziglang package is not installed; run: python3 -m pip install ziglang"
        ) from exc
    path = Path(ziglang.__file__).parent / "zig"
    if not path.exists():
        raise ToolchainError(f"zig binary missing at {path}; reinstall ziglang")
    return path


@functools.lru_cache(maxsize=1)
def zig_version() -> str:
    """The toolchain version, part of every artifact's cache key and every result."""
    import subprocess  # here and below: parsing the command line must not pay for it

    try:
        out = subprocess.run([str(zig_path()), "version"], capture_output=True, text=True,
                             timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolchainError(f"cannot run zig: {exc}") from exc
    return out.stdout.strip()


def native_target(libc: str = "musl") -> str:
    """The zig target for this machine's architecture with the given C library."""
    import platform

    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if arch not in ("x86_64", "aarch64"):
        raise ToolchainError(f"unsupported host architecture {machine}; need x86_64 or aarch64")
    return f"{arch}-linux-{'gnu' if libc == 'glibc' else 'musl'}"


def native_flags(cpu: str, libc: str = "musl") -> list[str]:
    """Target and CPU of a native build (the launcher is always static musl, ``baseline``)."""
    return ["-target", native_target(libc), f"-mcpu={cpu}"]


class BuildFlags(Record):
    """How programs are compiled; recorded in every result."""

    opt_level: str = "O2"
    profile: str = DEFAULT_PROFILE
    """A name in ``PROFILES``."""
    libc: str = "musl"
    """The native build's C library, a name in ``LIBCS``."""

    def common(self) -> list[str]:
        return [f"-{self.opt_level}", "-s", "-ffp-contract=off", "-Wall", "-Wextra"]

    def wasm(self) -> list[str]:
        simd = ["-msimd128"] if PROFILES[self.profile].wasm_simd else []
        return ["-target", "wasm32-wasi", *simd, *self.common(),
                f"-Wl,-z,stack-size={WASM_STACK_BYTES}"]

    def native(self) -> list[str]:
        linking = ["-static"] if self.libc == "musl" else []
        return [*native_flags(PROFILES[self.profile].native_cpu, self.libc), *self.common(),
                *linking]

    def for_target(self, target: Target) -> list[str]:
        return self.wasm() if target == "wasm" else self.native()

    def describe(self) -> dict[str, object]:
        profile = PROFILES[self.profile]
        return {"opt_level": self.opt_level, "profile": self.profile, "libc": self.libc,
                "native_cpu": profile.native_cpu, "wasm_simd": profile.wasm_simd,
                "wasm_stack_bytes": WASM_STACK_BYTES, "wasm": self.wasm(),
                "native": self.native()}


def compile_c(source: Path, output: Path, flags: list[str]) -> None:
    """Run ``zig cc``; its diagnostics become the error message on failure."""
    import subprocess

    with atomic_path(output) as tmp:
        cmd = [str(zig_path()), "cc", *flags, "-o", str(tmp), str(source)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ToolchainError(f"zig cc failed for {source.name}: "
                                 f"{proc.stderr.strip()[-2000:]}")
