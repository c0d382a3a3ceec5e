"""What a host has: Python, its faasbench data dir, and which faasbench (path and version).

Everything is asked with fixed commands and argv quoted by ``ssh.run_argv``; nothing the user
typed is pasted into a remote shell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from engine import serial
from engine.environment import faasbench_version
from engine.remote.ssh import HostError, run_argv
from engine.serial import Record

if TYPE_CHECKING:
    import asyncssh

MIN_PYTHON = (3, 9)
_INFO = (
    "import json, os, sys\n"
    "home = os.environ.get('XDG_DATA_HOME') or os.path.expanduser('~/.local/share')\n"
    "data = os.environ.get('FAASBENCH_DATA_DIR') or os.path.join(home, 'faasbench')\n"
    "print(json.dumps({'python': sys.version.split()[0], 'data_dir': data}))\n"
)
"""Where platformdirs puts the data dir on Linux (and the override faasbench honours)."""
COMMAND_NOT_FOUND = 127


class _Facts(Record):
    """What ``_INFO`` prints."""

    python: str
    data_dir: str


@dataclass(frozen=True)
class HostInfo:
    """A host as surveyed; ``faasbench`` is None when none was found (``problem`` says why)."""

    python: Optional[str]
    data_dir: str
    faasbench: Optional[str] = None
    version: Optional[str] = None
    problem: Optional[str] = None

    @property
    def venv(self) -> str:
        """Where ``--install`` installs faasbench."""
        return f"{self.data_dir}/venv"

    @property
    def results_dir(self) -> str:
        return f"{self.data_dir}/results"


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:3])


async def survey(conn: asyncssh.SSHClientConnection, name: str,
                 remote_faasbench: Optional[str] = None) -> HostInfo:
    """Python and data dir (HostError without python3), then the first faasbench that
    answers ``--version``: the one given, else the ``--install`` venv's, else the one on PATH."""
    result = await run_argv(conn, ["python3", "-c", _INFO])
    if result.exit_status == COMMAND_NOT_FOUND:
        raise HostError(f"{name}: python3 is not installed there; faasbench needs Python "
                        f"{'.'.join(map(str, MIN_PYTHON))} or newer (e.g. apt-get install "
                        f"python3 python3-venv)")
    if result.exit_status != 0:
        raise HostError(f"{name}: python3 failed: {str(result.stderr).strip()[-300:]}")
    try:
        facts = serial.decode(str(result.stdout), _Facts)
    except serial.SerialError as exc:
        raise HostError(f"{name}: python3 answered {str(result.stdout)[:100]!r} ({exc})") \
            from None
    candidates = [remote_faasbench] if remote_faasbench else \
        [f"{facts.data_dir}/venv/bin/faasbench", "faasbench"]
    problem = f"faasbench is not installed there (looked for {', '.join(candidates)})"
    for path in candidates:
        answer = await run_argv(conn, [path, "--version"])
        if answer.exit_status == COMMAND_NOT_FOUND:
            continue
        text = str(answer.stdout).strip()
        if answer.exit_status != 0 or not text.startswith("faasbench "):
            problem = f"{path} does not answer --version (a faasbench older than this one)"
            continue
        version = text.split()[1]
        return HostInfo(facts.python, facts.data_dir, path, version)
    return HostInfo(facts.python, facts.data_dir, problem=problem)


def usable_problem(info: HostInfo, name: str) -> Optional[str]:
    """Why this host's faasbench cannot run our plans (missing, or older than this one),
    with the command that fixes it; None when it can."""
    here = faasbench_version()
    if info.faasbench is None:
        why = info.problem
    elif version_tuple(info.version or "") < version_tuple(here):
        why = f"{info.faasbench} is faasbench {info.version}, older than {here} here"
    else:
        return None
    return (f"{name}: {why}; run again with --install to install this faasbench into "
            f"{info.venv} (or pip install faasbench>={here} there and pass "
            f"--remote-faasbench PATH)")
