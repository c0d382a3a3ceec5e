"""``wasmer``: Wasmer embedded in Python, through whichever package this Python can load.

On CPython >= 3.11 that is ``wasmer-sdk`` (wasmerio's maintained SDK: the module becomes an
in-memory package run as a command in a sandbox); below, the legacy ``wasmer`` 1.1.0 with
``wasmer-compiler-cranelift`` (PyPI has its binary wheels only for CPython 3.7-3.10). The
availability record names the package, its version and the compiler that ran.

Both compile on first use, and a cold sample pays that compilation: its own phase in the
legacy package, inside ``run`` for the SDK (whose cache in the cell's scratch space is emptied
before every cold start). A load iteration reads the module again and compiles it again in
the legacy package, and creates the package again with the SDK, whose cache then holds the
compiled code (as a FaaS node keeps it). Warm keeps the compiled module (its warm-up
iteration pays the compilation).

The SDK cannot show a host directory, and a sandbox's ``/workspace`` can only be filled by
copying files into every sandbox (milliseconds per MiB, per request). So the data files are
deployed once, with the module, as files of the package at ``PACKAGE_DATA``, and the guest's
arguments name them there. The SDK keeps writes to package files in a private overlay per
execution, so every request sees them as deployed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Optional

from engine.runtimes.base import Availability, Invocation, Job, distribution_bytes
from engine.runtimes.embedded import EmbeddedRuntime, Embedder, GuestOutputs

USE_SDK = sys.version_info >= (3, 11)
PACKAGE = "wasmer-sdk" if USE_SDK else "wasmer"
COMPILER = "cranelift"
"""The legacy package is given Cranelift; it is also the only compiler built into wasmer-sdk."""
OUTPUT_CAP_BYTES = 1 << 30
"""The SDK captures guest output in memory; more than this is reported as a failure."""
PACKAGE_DATA = "/data"
"""Where the SDK's guests find the benchmark's data files (its ``/workspace`` is the sandbox's
own workspace, which hides package files)."""


def sdk_cache_root(job: Job) -> Path:
    """wasmer-sdk's cache (it defaults to ./.wasmer): in the cell's scratch directory."""
    return Path(job.stdout_path).parent / "wasmer-sdk-cache"


class _WasmerEmbedder(Embedder):
    """What both packages' hosts share: output files opened once, and a cold cell that checks
    once, while preparing, that the function loads (a broken module fails the cell once; the
    SDK's compiled code goes with its cache, emptied before every cold start)."""

    def prepare_cold(self) -> None:
        self.start()
        self.load()
        self.close()

    def close(self) -> None:
        if self.outputs is not None:
            self.outputs.close()
            self.outputs = None


class WasmerSdkEmbedder(_WasmerEmbedder):
    """wasmer-sdk: one client + package; each ``run`` is a fresh sandbox running the command."""

    guest_on_calling_thread = False

    def start(self) -> None:
        import wasmer_sdk

        self.sdk = wasmer_sdk
        self.loop = asyncio.new_event_loop()
        self.client = wasmer_sdk.Wasmer(cache_root=sdk_cache_root(self.job),
                                        output_bytes=OUTPUT_CAP_BYTES)
        root, shown = Path(self.job.host_dir), self.job.guest_dir
        self.files = {f"{PACKAGE_DATA}/{p.relative_to(root).as_posix()}": p.read_bytes()
                      for p in sorted(root.rglob("*")) if p.is_file()}
        self.args = [PACKAGE_DATA + arg[len(shown):] if arg == shown or
                     arg.startswith(f"{shown}/") else arg for arg in self.job.argv[1:]]
        self.outputs = GuestOutputs(self.job)

    def load(self) -> None:
        definition = self.sdk.PackageDefinition(
            modules={"main": Path(self.job.artifact).read_bytes()},
            commands={"main": self.sdk.PackageCommandDefinition(module="main")},
            files=self.files)
        self.package = self.loop.run_until_complete(self.client.packages.create(definition))

    async def _run(self) -> tuple[Any, int, int]:
        t0 = time.perf_counter_ns()
        sandbox = await self.client.sandboxes.create(packages=[self.package])
        t1 = time.perf_counter_ns()
        try:
            command = sandbox.command(self.package, self.args)
            output = await command.run(timeout=self.job.options.timeout_s, check=False)
        finally:
            await sandbox.close()
        return output, t0, t1

    def run(self) -> Invocation:
        self.outputs.reset()
        try:
            output, t0, t1 = self.loop.run_until_complete(self._run())
        except self.sdk.WasmerError as exc:  # a trap is an EXECUTION_ERROR, not an exit
            kind = "trap" if exc.code == "EXECUTION_ERROR" else exc.code
            return Invocation(wall_ns=0, exit_code=None,
                              error=f"{kind}: {str(exc).splitlines()[0]}")
        t2 = time.perf_counter_ns()
        write_all(self.outputs.stdout, output.stdout.bytes)
        write_all(self.outputs.stderr, output.stderr.bytes)
        reason = output.reason
        error = None
        if reason is self.sdk.ExitReason.TIMEOUT:
            error = "timed out (stopped by wasmer after the per-iteration timeout)"
        elif reason is not self.sdk.ExitReason.EXITED:
            error = f"guest {reason.value} (exit status {output.exit_code})"
        elif output.stdout.truncated:
            error = f"guest output over {OUTPUT_CAP_BYTES} bytes was cut off by wasmer-sdk"
        return Invocation(wall_ns=t2 - t0, exit_code=output.exit_code if error is None else None,
                          error=error, phases_ns={"sandbox": t1 - t0, "run": t2 - t1})


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class WasmerLegacyEmbedder(_WasmerEmbedder):
    """wasmer 1.1.0 + Cranelift: ``load`` reads and validates the module, the first ``run``
    after it compiles it (its own ``compile`` phase), each ``run`` is a fresh WASI env and
    instance.

    It cannot interrupt a guest: past the per-iteration timeout the controller kills the
    worker, and the sample says it timed out.
    """

    def start(self) -> None:
        import wasmer
        from wasmer_compiler_cranelift import Compiler

        self.wasmer = wasmer
        self.store = wasmer.Store(wasmer.engine.Universal(Compiler))
        self.outputs = GuestOutputs(self.job)

    def load(self) -> None:
        self.wasm = Path(self.job.artifact).read_bytes()
        if not self.wasmer.Module.validate(self.store, self.wasm):
            raise ValueError(f"{self.job.artifact} is not a valid WebAssembly module")
        self.module: Any = None

    def run(self) -> Invocation:
        wasi, job = self.wasmer.wasi, self.job
        phases = {}
        if self.module is None:
            t0 = time.perf_counter_ns()
            self.module = self.wasmer.Module(self.store, self.wasm)
            # None for a module that imports nothing from WASI (the SIMD probe): any will do.
            self.wasi_version = wasi.get_version(self.module, strict=True) or \
                wasi.Version.LATEST
            phases["compile"] = time.perf_counter_ns() - t0
        self.outputs.reset()
        t0 = time.perf_counter_ns()
        env = (wasi.StateBuilder(job.argv[0]).arguments(job.argv[1:])
               .map_directory(job.guest_dir, job.host_dir).finalize())
        instance = self.wasmer.Instance(
            self.module, env.generate_import_object(self.store, self.wasi_version))
        t1 = time.perf_counter_ns()
        exit_code, error = 0, None
        try:
            with _redirected(1, self.outputs.stdout), _redirected(2, self.outputs.stderr):
                instance.exports._start()
        except RuntimeError as exc:  # the package reports exits and traps alike this way
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            prefix = "RuntimeError: WASI exited with code: "
            if message.startswith(prefix):
                exit_code = int(message[len(prefix):])
            else:
                exit_code, error = None, f"trap: {message}"
        t2 = time.perf_counter_ns()
        phases.update(instantiate=t1 - t0, execute=t2 - t1)
        memory = getattr(instance.exports, "memory", None)
        return Invocation(wall_ns=t2 - t0, exit_code=exit_code, error=error, phases_ns=phases,
                          guest_memory_bytes=memory.data_size if memory is not None else None)


class _redirected:
    """Point ``fd`` at ``target`` for a block: legacy WASI writes to this process's fds."""

    def __init__(self, fd: int, target: int) -> None:
        self.fd, self.target = fd, target

    def __enter__(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        self.saved = os.dup(self.fd)
        os.dup2(self.target, self.fd)

    def __exit__(self, *_exc: object) -> None:
        os.dup2(self.saved, self.fd)
        os.close(self.saved)


class WasmerRuntime(EmbeddedRuntime):
    name = "wasmer"
    embedder_class = WasmerSdkEmbedder if USE_SDK else WasmerLegacyEmbedder

    def _invoke_cold(self) -> Invocation:
        # A cold start compiles: no module compiled by an earlier start may be found.
        shutil.rmtree(sdk_cache_root(self.job), ignore_errors=True)
        return super()._invoke_cold()

    @classmethod
    def available(cls) -> Availability:
        wheel = "'wasmer-sdk==0.5.0'" if USE_SDK else \
            "'wasmer==1.1.0' 'wasmer-compiler-cranelift==1.1.0'"
        try:
            if USE_SDK:
                import wasmer_sdk  # noqa: F401  (creating a client would create a cache dir)

            else:
                import wasmer
                import wasmer_compiler_cranelift

                wasmer.Store(wasmer.engine.Universal(wasmer_compiler_cranelift.Compiler))
        except Exception as exc:  # ImportError, the legacy stub's ImportError, a broken wheel
            return Availability(False, reason=f"{PACKAGE} cannot load under Python "
                                f"{sys.version.split()[0]}: {exc}",
                                fix=f"python3 -m pip install {wheel}")
        version = metadata.version(PACKAGE)
        return Availability(True, version=f"{PACKAGE} {version}",
                            details={"package": PACKAGE, "package_version": version,
                                     "compiler": COMPILER})

    @classmethod
    def installed_bytes(cls) -> Optional[int]:
        packages = [PACKAGE] if USE_SDK else [PACKAGE, "wasmer-compiler-cranelift"]
        sizes = [distribution_bytes(p) for p in packages]
        return None if None in sizes else sum(s for s in sizes if s is not None)
