"""Reading a results file while it grows: here, or on a host over SFTP.

Only complete lines are handed on (a line being written is read again next time), so a reader
never sees a torn event; the writer (``engine.store.results``) flushes each line whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol

from engine.store.events import Event, from_json

if TYPE_CHECKING:
    import asyncssh

POLL_SECONDS = 0.25
CHUNK = 1 << 20


class Source(Protocol):
    """A file read from an offset; None while it does not exist yet."""

    name: str

    async def read(self, offset: int) -> Optional[bytes]: ...


class LocalSource:
    def __init__(self, path: Path) -> None:
        self.path, self.name = path, str(path)

    async def read(self, offset: int) -> Optional[bytes]:
        try:
            with self.path.open("rb") as fh:
                fh.seek(offset)
                return fh.read(CHUNK)
        except FileNotFoundError:
            return None


class SftpSource:
    """A file on a host; connection errors propagate (the caller says what was lost)."""

    def __init__(self, sftp: asyncssh.SFTPClient, path: str, host: str) -> None:
        self.sftp, self.path, self.name = sftp, path, f"{host}:{path}"

    async def read(self, offset: int) -> Optional[bytes]:
        import asyncssh

        try:
            async with self.sftp.open(self.path, "rb") as fh:
                return await fh.read(CHUNK, offset)
        except asyncssh.SFTPNoSuchFile:
            return None


async def follow(source: Source, offset: int = 0) -> AsyncIterator[list[Event]]:
    """Each batch of new complete lines as events (lines that are not events skipped), an
    empty batch after every quiet poll so the caller can decide when a quiet file has
    stopped."""
    while True:
        data = await source.read(offset)
        end = data.rfind(b"\n") + 1 if data else 0
        if end:
            offset += end
            yield parse_events(data[:end])
            if len(data) == CHUNK:
                continue
        else:
            yield []
        await asyncio.sleep(POLL_SECONDS)


def parse_events(data: bytes) -> list[Event]:
    """Complete JSON lines as events; a torn or foreign line is skipped (the results file
    stays the record; ``engine.store.results.load_results`` names such lines)."""
    events = []
    for line in data.splitlines():
        try:
            events.append(from_json(line))
        except ValueError:
            continue
    return events
