"""End to end: the real `faasbench` command in tmux, driven by keys, read by capture-pane."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

FAASBENCH = Path(sys.executable).with_name("faasbench")
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None or not FAASBENCH.exists(),
                                reason="needs tmux and the installed faasbench command")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def wait_for(session: str, *texts: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        screen = tmux("capture-pane", "-p", "-t", session)
        if all(t in screen for t in texts):
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"{texts} not on screen:\n{screen}")
        time.sleep(0.2)


def test_quick_run_in_tmux(tmp_path: Path) -> None:
    session = f"faasbench-{uuid.uuid4().hex[:6]}"
    command = (f"FAASBENCH_DATA_DIR={shlex.quote(str(tmp_path))} {shlex.quote(str(FAASBENCH))}; "
               "echo EXITED; sleep 60")
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", command)
    tmux("resize-window", "-t", session, "-x", "120", "-y", "40")  # no client: size by hand
    try:
        wait_for(session, "Runtimes", "available ─")  # doctor has run
        # focus starts on the runtimes list; past preset, profile and the three modes, tab to each
        # benchmark's checkbox but nop's
        tmux("send-keys", "-t", session, *["Tab"] * 9, "Space")
        for _ in range(4):
            tmux("send-keys", "-t", session, *["Tab"] * 3, "Space")
        wait_for(session, "(2 cells never measured")  # only nop is left: 2 runtimes x cold
        tmux("send-keys", "-t", session, "C-r")
        live = wait_for(session, "2/2 cells", "run finished")
        assert "✓ native/nop/cold" in live and "✓ wasmtime/nop/cold" in live
        assert live.count("5/5") == 2
        tmux("send-keys", "-t", session, "v")
        compare = wait_for(session, "× native", "★ native")
        assert "wasmtime" in compare
        tmux("send-keys", "-t", session, "q")
        done = wait_for(session, "EXITED")
        results = list((tmp_path / "results").glob("*.jsonl"))
        assert len(results) == 1 and f"results: {results[0]}" in done.replace("\n", "")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
