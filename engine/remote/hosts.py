"""Host names as the user types them: ``local``, or ``[user@]host[:port]`` (an ~/.ssh/config
alias works too; its HostName, Port and User apply)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from engine.errors import BadInput

LOCAL = "local"


class HostNameError(BadInput):
    """A host given in a form faasbench cannot use; the message shows the form."""

_SPEC = re.compile(r"^(?:(?P<user>[A-Za-z0-9._][A-Za-z0-9._-]*)@)?"
                   r"(?P<host>[A-Za-z0-9_.][A-Za-z0-9_.-]*)(?::(?P<port>[0-9]{1,5}))?$")


@dataclass(frozen=True)
class Host:
    """Where a plan runs; ``name`` is the text given, used to label its results."""

    name: str
    address: str
    """The host name or address (or an ~/.ssh/config alias) to connect to."""
    user: Optional[str] = None
    port: Optional[int] = None

    @property
    def is_local(self) -> bool:
        return self.name == LOCAL


def parse_host(text: str) -> Host:
    """``local`` or ``[user@]host[:port]``; anything else is a HostNameError saying the form."""
    text = text.strip()
    if text == LOCAL:
        return Host(LOCAL, LOCAL)
    match = _SPEC.match(text)
    if match is None:
        raise HostNameError(f"host {text!r} is not of the form user@host[:port] (or 'local')")
    port = int(match["port"]) if match["port"] else None
    if port is not None and not 0 < port < 65536:
        raise HostNameError(f"host {text!r}: port {port} is not between 1 and 65535")
    return Host(text, match["host"], match["user"], port)


def parse_hosts(texts: list[str]) -> list[Host]:
    """Each host once, in the order given."""
    hosts = [parse_host(t) for t in texts]
    names = [h.name for h in hosts]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise HostNameError(f"host {', '.join(twice)} given twice; each host runs the plan once")
    return hosts
