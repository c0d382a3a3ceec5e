"""Claims (f) density and (g) billing as pure functions over a scale run's and a run's
events."""

from __future__ import annotations

import pytest

from engine.report.billing import load_price_model
from engine.report.economy_claims import billing_claim, density_claim
from engine.store.events import RunPlanned, SampleRecorded, ScaleStep

pytestmark = pytest.mark.fast


def _step(runtime: str, n: int, per_gib: float) -> ScaleStep:
    per = (1 << 30) / per_gib
    return ScaleStep("r1", runtime, "nop", n, 1.0, 0.1, int(per * n), per, None, per_gib,
                     int(per * n), int(per * n), 0, 1, "an instance")


def _nop(wall_ns: int, cpu_ns: int | None = 50_000) -> SampleRecorded:
    return SampleRecorded("wasmtime/nop/warm", "wasmtime", "nop", 0, "warm", "1", 0, False,
                          wall_ns, cpu_ns, None, 0, True)


@pytest.mark.parametrize("wasm,docker,verdict", [
    (800, 300, "holds"), (100, 300, "does not hold"), (310, 300, "no clear verdict")])
def test_density_verdicts(wasm: float, docker: float, verdict: str) -> None:
    rows = [_step("wasmtime", 10, wasm / 2), _step("wasmtime", 200, wasm),
            _step("docker", 10, docker / 2), _step("docker", 100, docker * 0.9),
            _step("docker", 200, docker)]
    claim = density_claim(rows)
    assert claim.id == "f"
    assert claim.verdict == verdict and claim.runs == ["r1"]
    assert "at n=200" in claim.figure


def test_density_mixed_runtimes_is_no_clear_verdict() -> None:
    rows = [_step("wasmtime", 10, 900), _step("node", 10, 100), _step("docker", 10, 300)]
    assert density_claim(rows).verdict == "no clear verdict"


def test_density_without_docker_is_not_measured() -> None:
    claim = density_claim([_step("wasmtime", 10, 900)])
    assert claim.verdict == "not measured" and "docker" in claim.why


def test_billing_nop_mostly_unused() -> None:
    events = [RunPlanned("r2", {}, {}), *(_nop(60_000 + i) for i in range(50))]
    claim = billing_claim(events, load_price_model())
    assert claim.id == "g" and claim.runs == ["r2"]
    assert claim.verdict == "holds"
    assert claim.interval is not None
    lo, hi = claim.interval
    assert 0.9 < lo <= hi < 0.95  # 60 µs of 1 ms billed: 94% unused
    assert "CPU $" in claim.figure and "1 ms billed" in claim.figure
    # $0.30 per million requests + 0.05 ms CPU against $0.20 + 1 ms x 0.125 GB: dearer
    assert "CPU-time billing is cheaper per million calls for 0 of 1" in claim.why


def test_billing_long_invocations_do_not_hold() -> None:
    rows = [_nop(9_950_000 + i) for i in range(20)]
    assert billing_claim(rows, load_price_model()).verdict == "does not hold"


def test_billing_without_cpu_or_fuel_or_nop_is_not_measured() -> None:
    model = load_price_model()
    assert billing_claim([_nop(60_000, cpu_ns=None)], model).verdict == "not measured"
    assert billing_claim([], model).verdict == "not measured"
