"""Helpers shared by the dashboard tests (tests/test_tui_*.py)."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input

from engine.spec.benchmarks import BENCHMARKS
from tui.app import FaasbenchApp

DATA = Path(__file__).parent / "data" / "tui"
RECORDED = DATA / "recorded_run.jsonl"
"""A real run recorded with: faasbench run --runtimes native,wasmtime
--benchmarks nop,cat-sync,nbody --iterations 5 --size nbody=10000 --mode cold,load,warm --json"""


def report(*available: str, unavailable: tuple[str, ...] = ()) -> dict[str, Any]:
    """A doctor report: fixed so the setup view does not depend on this machine."""
    rows = [{"name": n, "ok": True, "version": "1.0", "reason": "", "fix": ""} for n in available]
    rows += [{"name": n, "ok": False, "version": None, "reason": f"{n} is not installed",
              "fix": f"install {n}"} for n in unavailable]
    return {"runtimes": rows}


def screen_text(app: FaasbenchApp) -> str:
    """The current screen as plain text, like tmux capture-pane."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text()


def choose(app: FaasbenchApp, sizes: dict[str, int], iterations: int) -> None:
    """Tick exactly the given benchmarks on the setup screen, with sizes and iterations."""
    for name in BENCHMARKS:
        app.screen.query_one(f"#use-{name}", Checkbox).value = name in sizes
    for name, size in sizes.items():
        app.screen.query_one(f"#size-{name}", Input).value = str(size)
        app.screen.query_one(f"#iter-{name}", Input).value = str(iterations)


async def wait_until(pilot: Pilot, condition: Any, timeout: float = 60.0) -> None:
    """Let the app run until ``condition()`` holds (engine runs are real, so they take time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.05)
    await pilot.pause(0.1)


def run(coro: Any) -> Any:
    return asyncio.run(coro)
