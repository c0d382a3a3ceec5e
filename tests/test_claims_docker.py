"""The study's start and footprint claims judged on a real run with a real Docker engine:
every verdict is one of the four words, rests on named runtimes and carries its interval."""

from __future__ import annotations

from conftest import run_plan

from engine.report import claims
from engine.results import ResultsWriter, load_model

VERDICTS = {claims.HOLDS, claims.FAILS, claims.UNCLEAR}


def test_start_and_footprint_claims_get_verdicts(engine, built, tmp_path):
    path = tmp_path / "run.jsonl"
    writer = ResultsWriter(path)
    for event in run_plan(["native", "docker", "wasmtime"], ["nop", "cat-sync"],
                          iterations=3, modes=["cold", "load"]):
        writer.write(event)
    writer.close()
    model, warnings = load_model(path)
    assert not warnings
    verdicts = claims.claims(model)
    start = [v for v in verdicts if v.id in "abc"]
    assert {(v.id, v.mode) for v in start} == {(c, m) for c in "abc" for m in ("cold", "load")}
    for v in start:
        assert v.verdict in VERDICTS, v
        assert "docker vs wasmtime" in v.compares and v.interval[0] <= v.interval[1]
    compute = next(v for v in verdicts if v.id == "d")
    assert compute.verdict == claims.NOT_MEASURED and "no compute benchmark" in compute.why
    footprint = [v for v in verdicts if v.id == "e"]
    assert [v.mode for v in footprint] == ["image only", "image + engine binaries"]
    assert all(v.verdict in VERDICTS and "docker" in v.figure for v in footprint)
