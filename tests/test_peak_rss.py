"""The worker's per-iteration peak RSS follows its own reset, even though the worker was forked
from a controller many times its size (getrusage's ru_maxrss would report the controller's)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.fast

CHILD = """
from engine.runtimes.peak_rss import PeakRss
peak = PeakRss()
peak.reset()
print(peak.read())
"""


def test_peak_rss_of_a_child_is_its_own():
    ballast = bytearray(256 << 20)
    for offset in range(0, len(ballast), 4096):  # touch every page: resident in this process
        ballast[offset] = 1
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         check=True)
    child_peak = int(out.stdout)
    assert 0 < child_peak < 128 << 20, f"{child_peak >> 20} MiB: the parent's peak leaked in"
    del ballast
