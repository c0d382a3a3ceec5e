"""Shared fixtures: real builds (once per session), the stand-in runtime for fault paths, and a
helper to run a plan to completion."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Callable

import pytest
from fake_runtime import PLUGIN, SCRIPT_VARIABLE

from engine.build import artifacts
from engine.build.toolchain import BuildFlags
from engine.measure.run import Run
from engine.runtimes import PLUGINS_VARIABLE
from engine.spec import benchmarks
from engine.spec.plan import make_plan
from engine.store.events import Event, SampleRecorded
from engine.store.results import read_events

TESTS = Path(__file__).resolve().parent


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


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A results file's events as plain data (their JSON form), for assertions."""
    return [event.to_dict() for event in read_events(path)]


def samples(events: Sequence[Event]) -> list[SampleRecorded]:
    return [e for e in events if isinstance(e, SampleRecorded)]


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, Any]], None]:
    """Register the stand-in runtime ``fake`` (tests/fake_runtime.py) here and in the workers
    this test starts; call the fixture with its script (see that module)."""
    monkeypatch.setenv(PLUGINS_VARIABLE, PLUGIN)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p))
    path = tmp_path / "fake-script.json"

    def script(data: dict[str, Any]) -> None:
        path.write_text(json.dumps(data))
        monkeypatch.setenv(SCRIPT_VARIABLE, str(path))

    script({})
    return script


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An answering Docker engine: the one DOCKER_HOST (or the context) names, else one of this
    session's own, started like CI starts one and stopped at the end."""
    from docker_support import dockerd

    from engine.runtimes.docker.engine_client import EngineError, connect

    own = None
    try:
        connect().close()
        host = os.environ.get("DOCKER_HOST", "")
    except EngineError:
        own = tmp_path_factory.mktemp("dockerd")
        host = dockerd("start", own)
    mp = pytest.MonkeyPatch()
    if host:
        mp.setenv("DOCKER_HOST", host)
    yield host
    mp.undo()
    if own is not None:
        dockerd("stop", own)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory, built: Any) -> Iterator[Any]:
    """A real OpenSSH server on 127.0.0.1 for the remote-host tests (tests/ssh_support.py)."""
    from ssh_support import start_sshd

    from engine import paths

    server = start_sshd(tmp_path_factory.mktemp("sshd"), paths.cache_dir())
    yield server
    server.stop()


@pytest.fixture
def cli(sshd: Any, tmp_path: Path) -> Callable[..., Any]:
    """Run ``faasbench ARGS`` as the user whose ~/.ssh points at the test server (``home``
    swaps in another ~, ``extra_env`` adds variables)."""
    import subprocess
    import sys

    from engine import paths

    env = sshd.client_env(paths.cache_dir(), tmp_path / "data")

    def run(*args: str, timeout: float = 300, home: Path | None = None,
            extra_env: dict[str, str] | None = None) -> Any:
        return subprocess.run([sys.executable, "-m", "faasbench", *args], capture_output=True,
                              text=True, timeout=timeout, check=False,
                              env={**env, "HOME": str(home or sshd.home), **(extra_env or {})})

    return run
