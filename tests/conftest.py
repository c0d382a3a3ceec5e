"""Shared fixtures: real builds (once per session) and a helper to run a plan to completion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from engine import artifacts, benchmarks
from engine.events import Event, SampleRecorded
from engine.plan import make_plan
from engine.runner import Run
from engine.toolchain import BuildFlags


@pytest.fixture(scope="session", autouse=True)
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep test results out of the user's data dir (the artifact cache is shared on purpose)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("FAASBENCH_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def built() -> list[Any]:
    """Every benchmark compiled for both targets with the default flags (real zig builds)."""
    return list(artifacts.build_all(benchmarks.BENCHMARKS, artifacts.TARGETS, BuildFlags()))


def run_plan(runtimes: Sequence[str], benches: Sequence[str], **kwargs: Any) -> list[Event]:
    """Run a plan to the end and return every event."""
    return list(Run(make_plan(runtimes, benches, **kwargs)).events())


def samples(events: Sequence[Event]) -> list[SampleRecorded]:
    return [e for e in events if isinstance(e, SampleRecorded)]
