"""The pinned C toolchain (zig cc from the ``ziglang`` wheel) and the flags each target uses.

Both targets get the same optimisation level and ``-ffp-contract=off`` (no FMA fusion), so
floating-point results are identical on every runtime and checkable against one reference.
The native build targets the host CPU by default, as Cranelift and V8 do for wasm.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from .files import atomic_path

OPT_LEVELS = ("O0", "O1", "O2", "O3", "Os", "Oz")
NATIVE_CPUS = ("native", "baseline")
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


def native_target() -> str:
    """The static musl target for this host's architecture."""
    import platform

    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if arch not in ("x86_64", "aarch64"):
        raise ToolchainError(f"unsupported host architecture {machine}; need x86_64 or aarch64")
    return f"{arch}-linux-musl"


@dataclass(frozen=True)
class BuildFlags:
    """How programs are compiled; recorded in every result."""

    opt_level: str = "O2"
    native_cpu: str = "native"
    """``native`` targets the host CPU like the wasm JITs; ``baseline`` gives a portable binary."""

    def common(self) -> list[str]:
        return [f"-{self.opt_level}", "-s", "-ffp-contract=off", "-Wall", "-Wextra"]

    def wasm(self) -> list[str]:
        return ["-target", "wasm32-wasi", *self.common(),
                f"-Wl,-z,stack-size={WASM_STACK_BYTES}"]

    def native(self) -> list[str]:
        return ["-target", native_target(), f"-mcpu={self.native_cpu}", *self.common(), "-static"]

    def for_target(self, target: str) -> list[str]:
        return self.wasm() if target == "wasm" else self.native()

    def describe(self) -> dict[str, object]:
        return {"opt_level": self.opt_level, "native_cpu": self.native_cpu,
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
