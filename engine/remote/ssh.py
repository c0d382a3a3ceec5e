"""SSH connections as OpenSSH would make them: ~/.ssh/config (aliases, ports, users), keys from
the agent or ~/.ssh, host keys checked against known_hosts.

An unknown host key is refused unless the user asked to record it (``accept_new``, like
OpenSSH's ``StrictHostKeyChecking accept-new``); a changed key is always refused. Every failure
becomes a ``HostError`` with one line saying what is wrong and what to do.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from engine.remote.hosts import Host

if TYPE_CHECKING:
    import asyncssh

CONNECT_TIMEOUT = 15.0


class HostError(Exception):
    """A host cannot be used; the message says why and what to do."""


@dataclass
class _Lookup:
    """The known_hosts lookup asyncssh calls: it remembers what it was asked and found."""

    files: list[str]
    asked: Optional[tuple[str, Optional[int]]] = None
    known: bool = False

    def __call__(self, host: str, addr: str, port: Optional[int]) -> Any:
        import asyncssh

        self.asked = (host, port)
        existing = [f for f in self.files if Path(f).is_file()]
        result = asyncssh.match_known_hosts(existing, host, addr, port) if existing \
            else ((), (), ())
        self.known = bool(result[0]) or bool(result[1])
        return result

    @property
    def pattern(self) -> str:
        assert self.asked is not None
        host, port = self.asked
        return f"[{host}]:{port}" if port else host


def known_hosts_files(host: Host) -> list[str]:
    """The files OpenSSH would check for this host: UserKnownHostsFile from ~/.ssh/config,
    else ~/.ssh/known_hosts (the first one is where a new key is recorded)."""
    import asyncssh

    options = asyncssh.SSHClientConnectionOptions(host=host.address, port=host.port or (),
                                                  username=host.user or ())
    files = [str(Path(f).expanduser()) for f in (options.known_hosts or ())
             if isinstance(f, str)]
    return files or [str(Path("~/.ssh/known_hosts").expanduser())]


async def connect(host: Host, accept_new: bool = False) -> asyncssh.SSHClientConnection:
    """An authenticated connection, or a HostError naming the problem and its fix."""
    import asyncssh

    lookup = _Lookup(known_hosts_files(host))
    try:
        return await _open(host, known_hosts=lookup)
    except asyncssh.HostKeyNotVerifiable:
        if lookup.known:
            raise HostError(
                f"{host.name}: the host key has CHANGED since it was recorded in "
                f"{lookup.files[0]}; someone may be intercepting the connection. If the host "
                f"was reinstalled, check its new fingerprint, then run "
                f"`ssh-keygen -R {shlex.quote(lookup.pattern)}` and connect again") from None
        if not accept_new:
            raise HostError(
                f"{host.name}: its host key is not in {lookup.files[0]}; check the host's "
                f"fingerprint, then run again with --accept-new-host-key (or `ssh "
                f"{shlex.quote(host.name)}` once) to record it") from None
    conn = await _open(host, known_hosts=None)
    _record(lookup, conn.get_server_host_key())
    return conn


def _record(lookup: _Lookup, key: Optional[asyncssh.SSHKey]) -> None:
    if key is None:
        raise HostError("the server sent no host key to record")
    path = Path(lookup.files[0])
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = key.export_public_key("openssh").decode().strip()
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"{lookup.pattern} {line}\n")


async def _open(host: Host, known_hosts: Any) -> asyncssh.SSHClientConnection:
    import asyncio
    import socket

    import asyncssh

    where = host.address + (f":{host.port}" if host.port else "")
    try:
        return await asyncssh.connect(host.address, port=host.port or (),
                                      username=host.user or (), known_hosts=known_hosts,
                                      connect_timeout=CONNECT_TIMEOUT)
    except asyncssh.HostKeyNotVerifiable:
        raise
    except asyncssh.PermissionDenied:
        raise HostError(f"{host.name}: authentication failed; load a key into the SSH agent "
                        f"or ~/.ssh that {where} accepts (try `ssh {shlex.quote(host.name)}`)"
                        ) from None
    except ConnectionRefusedError:
        raise HostError(f"{host.name}: connection refused at {where}; is sshd running there "
                        f"and is the port right?") from None
    except socket.gaierror as exc:
        raise HostError(f"{host.name}: unknown host name {host.address!r} ({exc.strerror}); "
                        f"check the name or your ~/.ssh/config") from None
    except (asyncio.TimeoutError, TimeoutError):
        raise HostError(f"{host.name}: no answer from {where} within {CONNECT_TIMEOUT:.0f} s; "
                        f"is the host up and reachable?") from None
    except (OSError, asyncssh.Error) as exc:
        raise HostError(f"{host.name}: cannot connect to {where}: {describe(exc)}") from None


NO_SFTP = ("{host}: its SSH server offers no SFTP, which faasbench uses to send plans and read "
           "results; add `Subsystem sftp internal-sftp` to its /etc/ssh/sshd_config and reload "
           "sshd (dropbear: install openssh-sftp-server)")


@contextlib.asynccontextmanager
async def sftp_client(conn: asyncssh.SSHClientConnection,
                      host: str) -> AsyncIterator[asyncssh.SFTPClient]:
    """The connection's SFTP session; a server without the subsystem (minimal images,
    dropbear) is a HostError saying what to add."""
    import asyncssh

    try:
        client = await conn.start_sftp_client()
    except asyncssh.ChannelOpenError:
        raise HostError(NO_SFTP.format(host=host)) from None
    async with client:
        yield client


def describe(exc: BaseException) -> str:
    """An SSH or socket failure in a few words."""
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
    return str(reason) or type(exc).__name__


async def run_argv(conn: asyncssh.SSHClientConnection, argv: list[str],
                   stdin: Optional[str] = None, timeout: Optional[float] = 120.0) -> Any:
    """Run a command there from its argv, each argument quoted: no user input reaches the
    remote shell unquoted."""
    return await conn.run(shlex.join(argv), input=stdin, check=False, timeout=timeout)
