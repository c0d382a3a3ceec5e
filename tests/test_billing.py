"""The cost model against hand-computed bills: rounding up to the granularity and the minimum
duration, the per-request fee, the memory size billed, CPU-time and fuel billing, and the
price model file (shipped defaults, overrides, bad files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.report.billing import (
    NO_FUEL,
    PriceModelError,
    billed_ms,
    cost_rows,
    gb_seconds_usd,
    load_price_model,
    memory_mb,
)
from engine.report.cost_table import cost_section
from engine.report.render import as_text
from engine.store.events import RunError, SampleRecorded

pytestmark = pytest.mark.fast


def _sample(wall_ns: int, cpu_ns: int | None = None, fuel: int | None = None,
            rss: int | None = None, ok: bool = True, warmup: bool = False) -> SampleRecorded:
    return SampleRecorded("wasmtime/nop/warm", "wasmtime", "nop", 0, "warm", "1", 0, warmup,
                          wall_ns, cpu_ns, rss, 0, ok, fuel=fuel)


def _override(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.toml"
    path.write_text(text)
    return path


def test_shipped_model_names_its_price_lists() -> None:
    model = load_price_model()
    assert model.gb_seconds.usd_per_gb_second == 0.0000166667
    assert model.gb_seconds.usd_per_million_requests == 0.20
    assert (model.gb_seconds.granularity_ms, model.gb_seconds.minimum_billed_ms) == (1, 1)
    assert model.gb_seconds.memory_mb == 128
    assert all("http" in s and "(20" in s for s in model.sources())


def test_duration_rounds_up_to_granularity_and_minimum(tmp_path: Path) -> None:
    plan = load_price_model().gb_seconds
    assert billed_ms(0.0774, plan) == 1          # nop: microseconds billed as 1 ms
    assert billed_ms(7.4, plan) == 8
    assert billed_ms(2.0, plan) == 2             # exact multiples are not rounded further
    old = load_price_model(_override(tmp_path, "[gb_seconds]\ngranularity_ms = 100\n"
                                               "minimum_billed_ms = 100\n")).gb_seconds
    assert billed_ms(0.05, old) == 100            # Lambda before December 2020
    assert billed_ms(150, old) == 200


def test_gb_seconds_bill_with_request_fee_by_hand() -> None:
    plan = load_price_model().gb_seconds
    billed, used = gb_seconds_usd(77_400, 128, plan)
    # 1 ms x 0.125 GB x $0.0000166667 + $0.20 / 1e6
    assert billed == pytest.approx(0.001 * 0.125 * 0.0000166667 + 0.2e-6, rel=1e-12)
    assert used == pytest.approx(0.0000774 * 0.125 * 0.0000166667 + 0.2e-6, rel=1e-12)


def test_memory_size_is_configured_minimum_or_what_was_used(tmp_path: Path) -> None:
    plan = load_price_model().gb_seconds
    assert memory_mb(None, plan) == 128
    assert memory_mb(40 << 20, plan) == 128
    assert memory_mb((300 << 20) + 1, plan) == 301  # 1 MB steps, rounded up
    big = load_price_model(_override(tmp_path, "[gb_seconds]\nmemory_mb = 1024\n")).gb_seconds
    billed, _ = gb_seconds_usd(1_000_000, memory_mb(None, big), big)
    assert billed == pytest.approx(0.001 * 1 * 0.0000166667 + 0.2e-6, rel=1e-12)


def test_cost_per_million_three_ways_by_hand() -> None:
    rows = [_sample(2_000_000, cpu_ns=2_500_000, fuel=1000) for _ in range(3)]
    rows += [_sample(9, warmup=True), _sample(9, ok=False), RunError("not a sample")]
    [row] = cost_rows(rows, load_price_model())
    assert row.invocations == 3
    assert row.gb_seconds_per_million == pytest.approx(
        (0.002 * 0.125 * 0.0000166667 + 0.2e-6) * 1e6, rel=1e-12)
    assert row.unused_share == pytest.approx(0.0)
    assert row.cpu_per_million == pytest.approx(2.5 * 0.02 + 0.30, rel=1e-12)
    assert row.fuel_per_million == pytest.approx((1000 + 5_000_000) * 1.35 / 1e12 * 1e6)


def test_request_fee_alone_when_duration_is_free(tmp_path: Path) -> None:
    model = load_price_model(_override(tmp_path, "[gb_seconds]\nusd_per_gb_second = 0\n"))
    [row] = cost_rows([_sample(5_000_000)], model)
    assert row.gb_seconds_per_million == pytest.approx(0.20)


def test_short_function_gap_and_missing_figures_say_why() -> None:
    [row] = cost_rows([_sample(100_000), _sample(300_000)], load_price_model())
    assert (row.used_ms, row.billed_ms) == (pytest.approx(0.2), 1)
    assert row.unused_share == pytest.approx(1 - 0.4 / 2)
    assert row.cpu_per_million is None and row.fuel_per_million is None
    assert row.fuel_why == NO_FUEL
    table = cost_section([_sample(100_000)], None)
    assert table is not None
    text = as_text([table])
    assert "not measured" in text and "only wasmtime counts fuel" in text
    assert "aws.amazon.com/lambda/pricing" in text


@pytest.mark.parametrize("text,words", [
    ("[gb_seconds]\nmemory = 3\n", "unknown field `memory` - at `\\$.gb_seconds`"),
    ("[lambda]\nx = 1\n", "unknown field `lambda`"),
    ("[fuel]\ncycles_per_call = -1\n", ">= 0.0 - at `\\$.fuel.cycles_per_call`"),
    ("[cpu_time\n", "not valid TOML"),
])
def test_bad_price_model_is_one_clear_error(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(PriceModelError, match=words):
        load_price_model(_override(tmp_path, text))


def test_missing_price_model_file(tmp_path: Path) -> None:
    with pytest.raises(PriceModelError, match="cannot read the price model"):
        load_price_model(tmp_path / "nope.toml")
