"""The two FIFOs through which a warm container's launcher (c_sources/launcher.c in serve mode)
takes requests and answers with its report, one line each."""

from __future__ import annotations

import math
import os
import select
import time
from pathlib import Path
from typing import Optional


class LauncherFifos:
    """Fresh FIFOs in ``io`` (no stale reply can survive a killed server), opened before the
    launcher opens them: the request end read-write, so opening never blocks and the launcher
    sees end-of-file only when this worker is gone; the reply end non-blocking, polled."""

    def __init__(self, io: Path) -> None:
        for name in ("request", "reply"):
            (io / name).unlink(missing_ok=True)
            os.mkfifo(io / name)
            (io / name).chmod(0o666)  # the guest runs as nobody
        self.request_fd = os.open(io / "request", os.O_RDWR | os.O_CLOEXEC)
        self.reply_fd = os.open(io / "reply", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        self.poller = select.poll()
        self.poller.register(self.reply_fd, select.POLLIN)

    def request(self) -> None:
        os.write(self.request_fd, b"\n")

    def reply(self, timeout_s: float) -> Optional[bytes]:
        """The launcher's report line; b"" when its end of the FIFO closed (it is gone), None
        when nothing came within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        data = b""
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not self.poller.poll(math.ceil(left * 1000)):
                return None
            try:
                chunk = os.read(self.reply_fd, 4096)
            except BlockingIOError:
                continue
            if not chunk:
                return b""
            data += chunk
        return data

    def close(self) -> None:
        os.close(self.request_fd)
        os.close(self.reply_fd)
