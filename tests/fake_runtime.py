"""``FakeRuntime``: a stand-in runtime that succeeds, fails, hangs or crashes on command.

It exists only so the controller's paths (prepare failure, a lost or hung worker, cancel,
Ctrl-C) can be tested in seconds without a compiler; every test of a real runtime uses the
real one. It runs ``nop`` (whose expected output is empty) and needs no artifact.

The script is JSON in the file ``FAASBENCH_FAKE_SCRIPT`` names::

    {"prepare": {"warm": "fail"}, "invoke": ["ok", "crash", "ok"], "then": "ok"}

``prepare`` maps a mode to ``ok`` | ``fail`` | ``hang``, or to a list of those for successive
prepares (a fresh worker after a lost one prepares again); ``invoke`` lists what successive
invocations do across every worker of the run (``ok``, ``slow``, ``fail``, ``wrong``,
``hang``, ``crash``), ``then`` what they do afterwards. The counts live beside the script.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any, Optional

from engine.files import write_atomic
from engine.runtimes.base import Availability, Invocation, Runtime

SCRIPT_VARIABLE = "FAASBENCH_FAKE_SCRIPT"
PLUGIN = "fake=fake_runtime:FakeRuntime"


def _script() -> dict[str, Any]:
    return json.loads(Path(os.environ[SCRIPT_VARIABLE]).read_text())


def _next(kind: str, actions: Any, then: str = "ok") -> str:
    """The next of ``actions`` (one action alone repeats); the count of ``kind`` survives the
    worker being killed."""
    if isinstance(actions, str):
        return actions
    counter = Path(f"{os.environ[SCRIPT_VARIABLE]}.{kind}")
    count = int(counter.read_text()) if counter.exists() else 0
    write_atomic(counter, str(count + 1))  # a worker killed mid-write must not leave it empty
    return actions[count] if count < len(actions) else then


def _hang() -> None:
    while True:
        time.sleep(3600)


class FakeRuntime(Runtime):
    name = "fake"
    kind = "fake"
    artifact_target = None
    reply_grace_s = 1.0

    @classmethod
    def available(cls) -> Availability:
        return Availability(True, version="fake 1.0")

    def prepare(self) -> None:
        action = _next("prepares", _script().get("prepare", {}).get(self.job.mode, "ok"))
        if action == "fail":
            raise RuntimeError(f"the fake runtime was told to fail preparing {self.job.mode}")
        if action == "hang":
            _hang()

    def invoke(self) -> Invocation:
        script = _script()
        action = _next("count", script.get("invoke", []), script.get("then", "ok"))
        t0 = time.perf_counter_ns()
        Path(self.job.stdout_path).write_bytes(b"wrong\n" if action == "wrong" else b"")
        Path(self.job.stderr_path).write_bytes(b"told to fail\n" if action == "fail" else b"")
        if action == "slow":
            time.sleep(0.05)
        elif action == "hang":
            _hang()
        elif action == "crash":
            os.kill(os.getpid(), signal.SIGKILL)
        return Invocation(wall_ns=time.perf_counter_ns() - t0,
                          exit_code=3 if action == "fail" else 0, cpu_ns=0)

    def artifact_bytes(self) -> Optional[int]:
        return None
