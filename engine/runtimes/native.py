"""``native``: the static binary as a child process, the baseline every ratio is taken against."""

from __future__ import annotations

import platform
from typing import ClassVar

from engine.build.toolchain import native_target
from engine.runtimes.base import Availability, Invocation, Runtime
from engine.runtimes.process import spawn_and_wait


class NativeRuntime(Runtime):
    """A fresh process per iteration in every mode: a native program has no server to keep up.

    Its warm cells still run (the warm-up iteration fills the page cache) because they are the
    baseline every warm ratio is taken against; they are labelled as equal to cold.
    """

    name = "native"
    artifact_target = "native"
    kind = "native"
    maps_guest_dir = False
    keeps_server = False
    same_as: ClassVar[dict[str, str]] = {"load": "cold"}  # loading it means starting it

    @classmethod
    def available(cls) -> Availability:
        try:
            target = native_target()
        except RuntimeError as exc:
            return Availability(False, reason=str(exc),
                                fix="run faasbench on x86_64 or aarch64 Linux")
        if platform.system() != "Linux":
            return Availability(False, reason=f"{platform.system()} cannot run {target} binaries",
                                fix="run faasbench on Linux")
        return Availability(True, version=f"{target} on Linux {platform.release()}")

    @classmethod
    def installed_bytes(cls) -> int:
        """Nothing: a static binary needs only the kernel (a glibc build needs the C library
        every Linux distribution has)."""
        return 0

    def invoke(self) -> Invocation:
        job = self.job
        result = spawn_and_wait(job.artifact, job.argv, stdout_path=job.stdout_path,
                                stderr_path=job.stderr_path, timeout_s=job.options.timeout_s)
        return Invocation(wall_ns=result.wall_ns, exit_code=result.exit_code,
                          cpu_ns=result.cpu_ns, peak_rss_bytes=result.peak_rss_bytes,
                          error=result.failure())
