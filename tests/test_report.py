"""`faasbench report` over a recorded run: every format, hyperfine's layout, and the claims
(not measured, with why, when the run lacks Docker). A run with Docker is judged in
tests/test_claims_docker.py against a real engine."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from conftest import read_rows
from tui_support import RECORDED

from engine.report import claims
from engine.report.billing import load_price_model
from engine.store.results import load_model, read_events
from engine.terms import NOT_MEASURED

pytestmark = pytest.mark.fast


def report(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "faasbench", "report", *args],
                          capture_output=True, text=True, timeout=120)


def measured_samples() -> list[dict]:
    return [r for r in read_rows(RECORDED) if r["event"] == "sample_recorded"]


def test_text_report_has_every_section():
    out = report(str(RECORDED))
    assert out.returncode == 0, out.stderr
    for heading in ("nop (size 0)", "cat-sync", "nbody (size 10000, profile", "start ladder: nop",
                    "compute benchmarks, seconds", "phases", "memory and footprint",
                    "median [95% CI]", "outliers", "log scale"):
        assert heading in out.stdout, heading


def test_markdown_is_pipe_tables():
    out = report(str(RECORDED), "--format", "md")
    assert out.returncode == 0, out.stderr
    assert "## start ladder: nop" in out.stdout
    header = next(line for line in out.stdout.splitlines() if line.startswith("| mode |"))
    separator = out.stdout.splitlines()[out.stdout.splitlines().index(header) + 1]
    assert separator == "|" + "---|" * (header.count("|") - 1)


def test_csv_has_one_row_per_sample():
    out = report(str(RECORDED), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    samples = measured_samples()
    assert len(rows) == len(samples)
    assert {int(r["wall_ns"]) for r in rows} == {s["wall_ns"] for s in samples}


def test_json_status_names_the_run_as_history_does(tmp_path):
    """finished, or ``cut off`` for a file without its closing line (a killed run)."""
    assert json.loads(report(str(RECORDED), "--format", "json").stdout)["status"] == "finished"
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(RECORDED.read_text().splitlines(keepends=True)[:-1]))
    assert json.loads(report(str(cut), "--format", "json").stdout)["status"] == "cut off"


def test_json_carries_summaries_ratios_and_intervals():
    out = report(str(RECORDED), "--format", "json", "--claims")
    doc = json.loads(out.stdout)
    cells = {c["cell_id"]: c for c in doc["cells"]}
    warm = cells["wasmtime/nop/warm"]
    assert warm["summary"]["median_low"] <= warm["summary"]["median"] <= warm["summary"][
        "median_high"]
    assert warm["vs"]["native"]["low"] <= warm["vs"]["native"]["ratio"] <= warm["vs"][
        "native"]["high"]
    assert warm["vs"]["docker"] is None
    assert {c["id"] for c in doc["claims"]} == set("abcdefg")
    density = next(c for c in doc["claims"] if c["id"] == "f")
    assert density["verdict"] == "not measured" and "scale" in density["why"]


def test_hyperfine_layout(tmp_path):
    target = tmp_path / "hf.json"
    out = report(str(RECORDED), "--export-hyperfine", str(target))
    assert out.returncode == 0, out.stderr
    results = json.loads(target.read_text())["results"]
    keys = {"command", "mean", "stddev", "median", "user", "system", "min", "max", "times",
            "exit_codes"}
    assert results and all(keys <= set(r) for r in results)
    ok = [s for s in measured_samples() if s["ok"] and not s["warmup"]]
    assert sum(len(r["times"]) for r in results) == len(ok)
    for result in results:  # seconds, each time the sample's own
        params = result["parameters"]
        walls = [s["wall_ns"] / 1e9 for s in ok if (s["runtime"], s["benchmark"], s["mode"])
                 == (params["runtime"], params["benchmark"], params["mode"])]
        assert result["times"] == walls, result["command"]
        assert result["mean"] == pytest.approx(sum(walls) / len(walls))
        assert result["min"] == min(walls) and result["max"] == max(walls)
        assert result["min"] <= result["median"] <= result["max"]
        assert len(result["exit_codes"]) == len(result["times"])
    assert all(len(r["memory_usage_byte"]) == len(r["times"]) for r in results
               if "memory_usage_byte" in r)


def test_cost_prints_three_billing_models():
    out = report(str(RECORDED), "--cost")
    assert out.returncode == 0, out.stderr
    assert "GB-s" in out.stdout and "CPU time" in out.stdout and "fuel" in out.stdout
    assert "prices, GB-seconds:" in out.stdout


def test_claims_without_docker_say_why():
    model, _ = load_model(RECORDED)
    verdicts = [v for v in claims.claims(model, read_events(RECORDED), [], load_price_model())
                if v.id in "abcde"]
    assert {v.id for v in verdicts} == {"a", "b", "c", "d", "e"}
    assert all(v.verdict == NOT_MEASURED and "docker" in v.why for v in verdicts)
    assert {v.mode for v in verdicts if v.id == "a"} == {"cold", "load"}


@pytest.mark.parametrize(("args", "expected"), [
    (["--format", "csv", "--cost"], "--claims and --cost are tables"),
    (["--format", "csv", "--claims"], "--claims and --cost are tables"),
    (["--format", "json", "--cost"], "--cost is a table: use --format text or md"),
])
def test_tables_asked_for_in_a_format_without_them_are_refused_not_dropped(args, expected):
    out = report(str(RECORDED), *args)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and not out.stdout
    assert expected in out.stderr


def test_unreadable_run_is_one_line_and_exit_2(tmp_path):
    out = report(str(tmp_path / "missing.jsonl"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "faasbench history" in out.stderr


def test_a_paper_run_asks_first_and_no_answer_starts_nothing(tmp_path):
    """In a terminal (a real pty), the paper preset shows its estimate and waits; "n" ends it
    before anything is built or run."""
    import os
    import pty

    out = tmp_path / "r.jsonl"
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "faasbench", "run", "--preset", "paper",
                             "--runtimes", "native", "--out", str(out)],
                            stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    os.write(primary, b"n\n")
    _, err = proc.communicate(timeout=60)
    os.close(primary)
    os.close(secondary)
    assert proc.returncode == 130, err
    assert "paper preset is long" in err and "estimate:" in err and "not started" in err
    assert not out.exists()


def test_without_a_terminal_nobody_is_asked(monkeypatch):
    from engine.spec.plan import make_plan
    from faasbench.commands.run import confirmed

    plan = make_plan(["native"], ["nop"], preset="paper")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert confirmed(plan, yes=False)
