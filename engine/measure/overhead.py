"""The harness's own overhead: faasbench's native ``nop`` median next to hyperfine's.

Both time the same static binary back to back, so the difference is what faasbench's
spawn-and-wait path adds to every sample.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Optional

from engine import serial
from engine.build import artifacts
from engine.measure.run import Run
from engine.spec.plan import make_plan
from engine.stats.summary import summarize
from engine.store.events import SampleRecorded


def hyperfine_median_ns(binary: Path, runs: int) -> Optional[float]:
    """hyperfine -N's median for the binary, or None when hyperfine is not installed."""
    exe = shutil.which("hyperfine")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "h.json"
        subprocess.run([exe, "-N", "--warmup", "10", "--runs", str(runs), "--export-json",
                        str(export), str(binary)], check=True, capture_output=True)
        return serial.parse(export.read_bytes())["results"][0]["median"] * 1e9


def measure(runs: int) -> dict[str, Any]:
    """Both medians (ns) for the same native ``nop`` binary, measured back to back."""
    plan = make_plan(["native"], ["nop"], iterations=runs, warmup=10)
    walls = [e.wall_ns for e in Run(plan).events()
             if isinstance(e, SampleRecorded) and e.ok and not e.warmup]
    binary = artifacts.artifact_for("nop", "native", plan.settings.flags).path
    return {"binary": str(binary), "runs": runs,
            "faasbench_median_ns": summarize(walls)["median"],
            "hyperfine_median_ns": hyperfine_median_ns(binary, runs)}
