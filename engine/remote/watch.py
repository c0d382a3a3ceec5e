"""``faasbench watch``: follow a results file that is still growing, here or on a host.

Watching only reads: detaching never touches the run. A file that stops growing before its
RunFinished is reported once (the run may have died, or is between slow iterations) and still
followed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from engine.remote.fanout import Emit, Fanout, RemoteOptions
from engine.remote.follow import LocalSource, SftpSource, Source, follow
from engine.remote.hosts import Host, HostNameError, parse_host
from engine.remote.ssh import HostError, connect, describe, sftp_client
from engine.store.events import RunError
from engine.store.results import ResultsError

if TYPE_CHECKING:
    import asyncssh

QUIET_SECONDS = 30.0


def parse_target(text: str) -> tuple[Optional[Host], Optional[str]]:
    """A file here, ``user@host:path``, or a bare host (its latest run: path None)."""
    if Path(text).exists():
        return None, text
    name, sep, path = text.partition(":")
    if sep and "/" in name:
        raise ResultsError(f"no results file {text}")
    try:
        host = parse_host(name)
    except HostNameError:
        raise ResultsError(f"no results file {text}, and it is not user@host[:path]") from None
    if host.is_local:
        raise ResultsError(f"no results file {path or text}")
    return host, path or None


def watch(text: str, options: RemoteOptions, quiet_seconds: float = QUIET_SECONDS) -> Fanout:
    """A Fanout whose events are the watched file's, from its first line on."""
    host, path = parse_target(text)
    fanout = Fanout()
    label = host.name if host else "local"
    fanout.add(label, Path(path or label),
               lambda emit: _watch(host, path, options, emit, lambda: fanout.stopping,
                                   quiet_seconds))
    return fanout


async def _watch(host: Optional[Host], path: Optional[str], options: RemoteOptions, emit: Emit,
                 stopping: Callable[[], bool], quiet_seconds: float) -> None:
    import asyncssh

    if host is None:
        assert path is not None
        await _pump(LocalSource(Path(path)), emit, stopping, quiet_seconds)
        return
    conn = await connect(host, options.accept_new_host_key)
    async with conn, sftp_client(conn, host.name) as sftp:
        path = path or await _latest(conn, sftp, host.name)
        if not await sftp.exists(path):
            raise HostError(f"{host.name}: no results file {path} there")
        try:
            await _pump(SftpSource(sftp, path, host.name), emit, stopping, quiet_seconds)
        except (OSError, asyncssh.Error) as exc:
            emit(RunError(f"{host.name}: connection lost while watching ({describe(exc)}); "
                          f"the run there is not affected: watch it again"))


async def _latest(conn: asyncssh.SSHClientConnection, sftp: asyncssh.SFTPClient,
                  name: str) -> str:
    """The host's most recently written results file."""
    from engine.remote.survey import survey

    info = await survey(conn, name)
    files = await sftp.glob(f"{info.results_dir}/*.jsonl") \
        if await sftp.isdir(info.results_dir) else []
    if not files:
        raise HostError(f"{name}: no runs in {info.results_dir} to watch")
    stamps = {f: (await sftp.stat(f)).mtime or 0 for f in files}
    return max(files, key=lambda f: stamps[f])


async def _pump(source: Source, emit: Emit, stopping: Callable[[], bool],
                quiet_seconds: float) -> None:
    """Events as lines arrive, until RunFinished or the watcher stops."""
    last = time.monotonic()
    warned = False
    async for batch in follow(source):
        for event in batch:
            emit(event)
            if event.name == "run_finished":
                return
        if batch:
            last, warned = time.monotonic(), False
        elif not warned and time.monotonic() - last > quiet_seconds:
            warned = True
            emit(RunError(f"{source.name} has not grown for {quiet_seconds:g} s and has no "
                          f"run_finished line: the run may have stopped (still watching)"))
        if stopping():
            return
