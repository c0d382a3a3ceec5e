"""A process's peak resident set, read from the kernel's own high-water mark.

VmHWM in ``/proc/PID/status``, which Linux resets when 5 is written to ``clear_refs``. Both
files stay open, since opening them again per request costs more than a warm instance.
``getrusage``'s ru_maxrss would be cheaper but is no substitute: it never drops below the
high-water mark the process had before its exec, i.e. the forking controller's.
"""

from __future__ import annotations

import contextlib
import os
from typing import Optional


class PeakRss:
    """The peak of one process (the worker's own, or a server it runs) since the last reset."""

    def __init__(self, pid: str = "self") -> None:
        self.clear_refs = _open_or_none(f"/proc/{pid}/clear_refs", os.O_WRONLY)
        self.status = _open_or_none(f"/proc/{pid}/status", os.O_RDONLY)

    def reset(self) -> None:
        if self.clear_refs is not None:
            with contextlib.suppress(OSError):
                os.write(self.clear_refs, b"5")

    def read(self) -> Optional[int]:
        """VmHWM in bytes (None if Linux does not say)."""
        if self.status is None:
            return None
        status = os.pread(self.status, 1 << 14, 0)
        start = status.find(b"VmHWM:")
        end = status.find(b"kB", start)
        return int(status[start + 6:end]) * 1024 if 0 <= start < end else None

    def close(self) -> None:
        for fd in (self.clear_refs, self.status):
            if fd is not None:
                os.close(fd)


def _open_or_none(path: str, flags: int) -> Optional[int]:
    try:
        return os.open(path, flags | os.O_CLOEXEC)
    except OSError:
        return None
