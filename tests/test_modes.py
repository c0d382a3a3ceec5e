"""Every start mode on every runtime CI has: outputs verified, phases as documented, the cold
host named, stand-in modes recorded instead of run twice, and both sides of every footprint."""

from __future__ import annotations

import pytest
from conftest import run_plan, samples

from engine import runtimes
from engine.store.events import CellFinished, CellStarted, Event, RunError
from engine.terms import MODES, PHASES

SMALL = {"nbody": 1000, "cat-sync": 4096}
BENCHES = ["nop", "cat-sync", "nbody"]
RUNTIMES = ["native", "wasmtime", "wasmer", "node", "docker", "wasmtime-cli"]
COLD_PROCESSES = {"wasmtime": "python process", "wasmer": "python process",
                  "node": "node process"}
"""What a cold start launches where it is not the runtime itself."""
STAND_INS = {("native", "load"): "cold", ("wasmtime-cli", "load"): "cold"}


@pytest.fixture(scope="module")
def events(engine: str, built) -> list[Event]:
    return run_plan(RUNTIMES, BENCHES, iterations=2, modes=MODES, sizes=SMALL)


def test_every_sample_is_verified(events: list[Event]) -> None:
    assert not [e.message for e in events if isinstance(e, RunError)]
    rows = samples(events)
    ran = {(rt, m) for rt in RUNTIMES for m in MODES} - set(STAND_INS)
    assert {(r.runtime, r.mode) for r in rows} == ran
    assert all(r.ok for r in rows), [(r.cell_id, r.error) for r in rows if not r.ok]
    assert all(set(r.phases_ns) <= set(PHASES) for r in rows)


def test_a_mode_a_runtime_lacks_is_recorded_not_run(events: list[Event]) -> None:
    stand_ins = [e for e in events if isinstance(e, CellFinished) and e.same_as]
    assert sorted((e.runtime, e.mode, e.benchmark, e.same_as) for e in stand_ins) == sorted(
        (rt, mode, bench, same) for (rt, mode), same in STAND_INS.items() for bench in BENCHES)
    assert all(e.summary["n"] == 0 for e in stand_ins)


def test_cold_names_its_process_and_only_cold_does(events: list[Event]) -> None:
    for started in (e for e in events if isinstance(e, CellStarted)):
        expected = COLD_PROCESSES.get(started.runtime) if started.mode == "cold" else None
        assert started.cold_process == expected, started.cell_id
        if expected:
            assert expected in (started.note or "")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_both_sides_of_every_footprint(events: list[Event], runtime: str) -> None:
    started = [e for e in events if isinstance(e, CellStarted) and e.runtime == runtime]
    assert started
    for event in started:
        assert event.artifact_bytes and event.artifact_bytes > 0, event.cell_id
        assert event.runtime_bytes is not None, event.cell_id
        assert event.runtime_bytes > 0 or runtime == "native", "only native needs nothing"
        assert event.footprint_bytes == event.artifact_bytes + event.runtime_bytes
    if runtime == "docker":
        engine = runtimes.get("docker").installed_bytes()
        assert engine is not None and all(e.runtime_bytes >= engine for e in started)


def test_load_phases_include_loading(events: list[Event]) -> None:
    """A load iteration loads the function: its phases say how (deserialise or compile)."""
    for row in samples(events):
        if row.mode == "load" and row.runtime in ("wasmtime", "wasmer"):
            assert "load" in row.phases_ns, row.cell_id
        if row.mode == "load" and row.runtime == "node":
            assert "compile" in row.phases_ns, row.cell_id
