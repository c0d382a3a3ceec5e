"""``--install``: install this machine's faasbench on a host, into a venv in its data dir.

The wheel comes from what runs here: the wheel file it was installed from when that is still
on disk, a ``pip wheel`` of the source tree for an editable install, otherwise the installed
files packed back into a wheel. So a user who installed the wheel can install it on hosts without a
checkout, and the host runs exactly the code this machine runs.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from engine import serial
from engine.remote.ssh import HostError, run_argv, sftp_client
from engine.remote.survey import MIN_PYTHON, HostInfo, survey, version_tuple

if TYPE_CHECKING:
    import asyncssh

INSTALL_TIMEOUT = 1800.0
"""pip on the host fetches faasbench's dependencies from PyPI."""
_SKIP_META = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")


def local_wheel(out_dir: Path, name: str = "faasbench") -> Path:
    """A wheel of the running distribution ``name``, made in ``out_dir`` (an empty folder of
    the caller's) unless the one it was installed from is still on disk."""
    dist = installed(name)
    origin = serial.parse(dist.read_text("direct_url.json") or "{}")
    url = urlparse(origin.get("url", ""))
    source = Path(unquote(url.path)) if url.scheme == "file" else None
    if source is not None and source.is_file() and source.suffix == ".whl":
        return source
    out_dir.mkdir(parents=True, exist_ok=True)
    if source is not None and origin.get("dir_info", {}).get("editable"):
        return _pip_wheel(source, out_dir)
    return repack(dist, out_dir)


def installed(name: str) -> metadata.Distribution:
    """The installed distribution (a ``.dist-info``), not a build's ``.egg-info`` that a
    source tree on ``sys.path`` may also offer under the same name."""
    found = [d for d in metadata.distributions(name=name) if d.read_text("WHEEL") is not None
             or d.read_text("direct_url.json") is not None]
    if not found:
        raise HostError(f"{name} is not installed here as a package, so there is no wheel to "
                        f"copy; pip install it (or `pip install -e .` in the checkout)")
    return found[0]


def _pip_wheel(source: Path, out_dir: Path) -> Path:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                           str(out_dir), str(source)], capture_output=True, text=True,
                          check=False)
    wheels = sorted(out_dir.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        raise HostError(f"cannot build a wheel of {source}: {done.stderr.strip()[-300:]}")
    return wheels[0]


def repack(dist: metadata.Distribution, out_dir: Path) -> Path:
    """The installed files of ``dist`` as a wheel (bytecode and install records left out;
    pip writes the console scripts again from entry_points.txt)."""
    name, version = dist.metadata["Name"], dist.version
    info_dir = f"{name.replace('-', '_')}-{version}.dist-info"
    path = out_dir / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for file in dist.files or ():
            parts = file.parts
            if ".." in parts or "__pycache__" in parts or file.suffix == ".pyc" \
                    or (parts[0] == info_dir and parts[-1] in _SKIP_META):
                continue
            data = file.read_binary()
            wheel.writestr(str(file), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{file},sha256={digest.decode()},{len(data)}")
        record.append(f"{info_dir}/RECORD,,")
        wheel.writestr(f"{info_dir}/RECORD", "\n".join(record) + "\n")
    return path


async def install(conn: asyncssh.SSHClientConnection, info: HostInfo, name: str,
                    wheel: Path) -> HostInfo:
    """Copy the wheel over SFTP, make the venv, pip install; the host as surveyed afterwards."""
    if info.python is None or version_tuple(info.python) < MIN_PYTHON:
        raise HostError(f"{name}: python3 there is {info.python}; faasbench needs "
                        f"{'.'.join(map(str, MIN_PYTHON))} or newer")
    remote_wheel = f"{info.data_dir}/wheels/{wheel.name}"
    async with sftp_client(conn, name) as sftp:
        await sftp.makedirs(f"{info.data_dir}/wheels", exist_ok=True)
        await sftp.put(str(wheel), remote_wheel)
    steps = ([["python3", "-m", "venv", info.venv], "python3 -m venv failed (on Debian: "
              "apt-get install python3-venv)"],
             [[f"{info.venv}/bin/python", "-m", "pip", "install", "-q", remote_wheel],
              "pip install failed"])
    for argv, failure in steps:
        result = await run_argv(conn, argv, timeout=INSTALL_TIMEOUT)
        if result.exit_status != 0:
            raise HostError(f"{name}: {failure}: {str(result.stderr).strip()[-300:]}")
    installed = await survey(conn, name, f"{info.venv}/bin/faasbench")
    if installed.faasbench is None:
        raise HostError(f"{name}: faasbench was installed into {info.venv} but does not "
                        f"answer: {installed.problem}")
    return installed
