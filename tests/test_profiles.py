"""Build profiles: every program verified on every runtime in every profile, the profile recorded
with the results, Docker running the very binary native runs, and a runtime that cannot run
SIMD modules (a real wasmtime with SIMD switched off) refused for the SIMD profiles with why.
"""

from __future__ import annotations

import pytest
from conftest import run_plan, samples
from test_cli_runtimes import forget_config

from engine import doctor, runtimes
from engine.build.toolchain import PROFILES, BuildFlags
from engine.runtimes.simd import simd_problem
from engine.spec.benchmarks import BENCHMARKS
from engine.store.events import CellStarted, RunError, RunPlanned

SMALL = {"nbody": 1000, "fannkuch-redux": 7, "mandelbrot": 63, "binary-trees": 6,
         "cat-sync": 4096}
RUNTIMES = ["native", "wasmtime", "wasmer", "node", "docker", "wasmtime-cli"]
NO_SIMD = ('[runtimes.wasmtime-nosimd]\ncommand = "wasmtime run -C cache=n '
           '-W simd=n,relaxed-simd=n --dir {host_dir}::{guest_dir} {module} {args}"\n')


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_program_on_every_runtime(engine: str, profile: str) -> None:
    events = run_plan(RUNTIMES, list(BENCHMARKS), iterations=1, sizes=SMALL,
                      flags=BuildFlags(profile=profile))
    assert not [e.message for e in events if isinstance(e, RunError)]
    rows = samples(events)
    assert {(r.runtime, r.benchmark) for r in rows} == {(rt, b) for rt in RUNTIMES
                                                       for b in BENCHMARKS}
    assert all(r.ok for r in rows), [(r.cell_id, r.error) for r in rows if not r.ok]
    planned = next(e for e in events if isinstance(e, RunPlanned))
    assert planned.plan["settings"]["flags"]["profile"] == profile
    toolchain = planned.environment["toolchain"]
    assert toolchain["profile"] == profile
    assert ("-msimd128" in toolchain["wasm"]) == PROFILES[profile].wasm_simd
    assert f"-mcpu={PROFILES[profile].native_cpu}" in toolchain["native"]
    started = {(e.runtime, e.benchmark): e.artifact for e in events if isinstance(e, CellStarted)}
    assert all(started[("docker", b)] == started[("native", b)] for b in BENCHMARKS), \
        "Docker runs the very binary native runs"


def test_profiles_build_different_programs(built) -> None:
    """Each side gets what its profile says: SIMD in the wasm, the CPU in the native build."""
    flags = {name: BuildFlags(profile=name) for name in PROFILES}
    assert flags["study"].native() == flags["same-width"].native() != flags["best"].native()
    assert flags["same-width"].wasm() == flags["best"].wasm() != flags["study"].wasm()


def test_a_runtime_without_simd_is_refused_for_simd_profiles(built, tmp_path, monkeypatch):
    monkeypatch.setenv("FAASBENCH_CONFIG_DIR", str(tmp_path))
    (tmp_path / "runtimes.toml").write_text(NO_SIMD)
    forget_config()
    try:
        probe = runtimes.availability("wasmtime-nosimd")
        assert probe.ok
        problem = simd_problem("wasmtime-nosimd", probe.version)
        assert problem is not None and "SIMD support is not enabled" in problem
        row = next(r for r in doctor.runtime_report() if r["name"] == "wasmtime-nosimd")
        assert row["ok"] and row["simd_problem"] == problem
        assert simd_problem("wasmtime-cli", runtimes.availability("wasmtime-cli").version) is None

        events = run_plan(["native", "wasmtime-nosimd"], ["nbody"], iterations=1,
                          sizes=SMALL, flags=BuildFlags(profile="same-width"))
        errors = [e.message for e in events if isinstance(e, RunError)]
        assert len(errors) == 1
        assert errors[0].startswith("runtime wasmtime-nosimd unavailable: profile same-width "
                                    "builds WebAssembly with simd128 and it cannot run a "
                                    "simd128 module")
        assert "use --profile study" in errors[0]
        assert {r.runtime for r in samples(events)} == {"native"}

        rows = samples(run_plan(["wasmtime-nosimd"], ["nbody"], iterations=1, sizes=SMALL,
                                flags=BuildFlags(profile="study")))
        assert rows and all(r.ok for r in rows), "without SIMD it runs the study profile"
    finally:
        forget_config()
