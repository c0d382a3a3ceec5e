"""Snapshots of the setup, live and side by side views at 80x24 and 120x40.

Deterministic on purpose: the live and side by side views are fed by a recorded events file
(tests/data/tui/recorded_run.jsonl, a real native + wasmtime run), and the setup view by a
stand-in doctor report (wasmer and docker shown unavailable) and that file as its history.
Update with: pytest tests/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest
from tui_support import DATA, RECORDED, report

from tui.app import Config, make_app

SIZES = [(80, 24), (120, 40)]
VIEWS = {
    "setup": (False, []),
    "live": (True, []),
    "side-by-side": (True, ["v"]),
    "side-by-side-chart": (True, ["v", "right"]),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("view", list(VIEWS))
def test_view(snap_compare, view: str, size: tuple[int, int]) -> None:
    replay, keys = VIEWS[view]
    app = make_app(Config(doctor_report=report("native", "wasmtime",
                                               unavailable=("wasmer", "docker")),
                          history_dir=DATA, replay=RECORDED if replay else None))
    assert snap_compare(app, terminal_size=size, press=keys)
