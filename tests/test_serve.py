"""``faasbench serve``: the dashboard in a real browser (headless Chromium), loopback only
unless told otherwise."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from browser_support import CHROMIUM, Browser, terminal_text
from ssh_support import free_port

TITLE = "WebAssembly runtimes vs containers"
"""The dashboard header's subtitle: only the running app draws it (the page's own title
would pass a test that never started the app)."""


def serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "faasbench", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_port(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "serve did not listen"
            time.sleep(0.1)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    try:
        return proc.communicate(timeout=10)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[1]


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    proc = serve("--port", str(port))
    try:
        wait_for_port(port, proc)
        yield proc, port
    finally:
        stop(proc)


@pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                    reason="no chromium here: Ubuntu ships it only as a snap (setup.sh installs "
                           "the Debian package where there is one)")
def test_headless_chromium_shows_the_dashboard(server: tuple[subprocess.Popen[str], int],
                                              tmp_path: Path) -> None:
    proc, port = server
    listening = {c.laddr.ip for c in psutil.Process(proc.pid).net_connections("inet")
                 if c.status == psutil.CONN_LISTEN}
    assert listening == {"127.0.0.1"}
    browser = Browser(tmp_path / "profile", free_port())
    try:
        page = asyncio.run(terminal_text(browser.page_socket(), f"http://127.0.0.1:{port}",
                                         TITLE, 90, tmp_path / "dashboard.png"))
    finally:
        browser.close()
    assert TITLE in page["text"], page["text"][-500:]
    assert "faasbench" in page["text"] and "Runtimes" in page["text"]
    assert "-first-byte" in page["body_class"]  # the page's terminal drew what it received
    assert (tmp_path / "dashboard.png").stat().st_size > 0


@pytest.mark.fast
@pytest.mark.parametrize("port", ["0", "-1", "70000", "http"])
def test_a_bad_port_is_a_one_line_error(port: str) -> None:
    done = subprocess.run([sys.executable, "-m", "faasbench", "serve", "--port", port],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "is not a whole number from 1 to 65535" in done.stderr


def test_binding_elsewhere_warns() -> None:
    port = free_port()
    proc = serve("--bind", "0.0.0.0", "--port", str(port))
    wait_for_port(port, proc)
    assert "not only on this machine" in stop(proc)
