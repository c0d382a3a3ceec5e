"""Plans and worker messages as plain data: JSON both ways, unchanged, and checked on the way in.

The dashboard, ``faasbench run --plan`` and the worker all depend on these round trips; a field
that does not survive one would silently change what runs.
"""

from __future__ import annotations

import argparse
import json
from array import array

import msgspec
import pytest

from engine.build.toolchain import BuildFlags
from engine.errors import PlanError
from engine.measure import protocol
from engine.measure.measurements import Batch, Measured, Packed
from engine.runtimes.base import Invocation, Job, Served
from engine.runtimes.request_report import RequestReport
from engine.spec.options import FLAGS, RunOptions
from engine.spec.plan import Plan, make_plan
from engine.verify.expected import ReferenceSpec
from faasbench.parser import parser

pytestmark = pytest.mark.fast


def test_plan_survives_json_unchanged() -> None:
    plan = make_plan(["native", "wasmtime"], ["nop", "nbody"], iterations={"nbody": 7},
                     modes=["cold", "warm"], sizes={"nbody": 1234}, preset="standard",
                     flags=BuildFlags("O3", "best"),
                     options=RunOptions(timeout_s=12.5, fuel=True, docker_base="x:1"),
                     origin="re-run of a cell")
    assert Plan.from_json(plan.to_json()) == plan
    nbody = [c for c in plan.cells if c.benchmark == "nbody"]
    assert {(c.size, c.iterations) for c in nbody} == {(1234, 7)}
    assert {c.iterations for c in plan.cells if c.benchmark == "nop"} == {20}  # the preset's
    assert {c.warmup for c in plan.cells if c.mode == "warm"} == {1}


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["cells"][0].update(runtime="nope"), "unknown runtime 'nope'"),
    (lambda d: d["cells"][0].update(size=13), "between 3 and 12"),
    (lambda d: d["cells"][0].update(iterations=0), "iterations must be between 1 and 100000"),
    (lambda d: d["cells"][0].update(mode="lukewarm"), "unknown mode 'lukewarm'"),
    (lambda d: d["cells"].append(dict(d["cells"][0])), "appears twice"),
    (lambda d: d["settings"]["options"].update(timeout_s=-1), "timeout must be between"),
    (lambda d: d["settings"].update(preset="huge"), "unknown preset 'huge'"),
    (lambda d: d["settings"]["flags"].update(profile="wide"), "unknown build profile 'wide'"),
    (lambda d: d["cells"][0].update(colour="red"), "not a valid plan"),
    (lambda d: d["cells"][0].pop("size"), "not a valid plan"),
])
def test_a_plan_from_json_is_checked_like_make_plan(change, message: str) -> None:
    data = make_plan(["native"], ["fannkuch-redux"]).to_dict()
    data["cells"] = [dict(c) for c in data["cells"]]
    change(data)
    with pytest.raises(PlanError, match=message):
        Plan.from_dict(data)


def test_every_run_option_has_a_flag_with_its_default_in_the_help() -> None:
    assert [f.field for f in FLAGS] == [f.name for f in msgspec.structs.fields(RunOptions)]
    run = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)
               ).choices["run"]
    text = run.format_help()
    for flag in FLAGS:
        assert flag.flag in text
    assert f"(default {RunOptions().timeout_s})" in " ".join(text.split())


def test_messages_survive_the_wire_unchanged() -> None:
    job = Job("nbody", "/a/nbody.wasm", ["nbody", "10"], "/data", "/workspace", "warm", "r1",
              RunOptions(fuel=True))
    messages = [
        protocol.Prepare("wasmtime", job, ReferenceSpec("nbody", 10, None, "")),
        protocol.Invoke(3), protocol.Close(), protocol.Prepared(123, None, "python reference"),
        protocol.Failed("why"),
        Batch.of([
            Measured(Invocation(5, 0, cpu_ns=4, phases_ns={"execute": 3}), True),
            Measured(Invocation(0, None, error="timed out"), False),
            Measured(Invocation(7, 0, phases_ns={"load": 1, "execute": 2}), True)]).message(9),
        Batch.of([Measured(Invocation(5, 0), True)] * 3).message(10, peak_rss_bytes=1 << 20),
        _served_batch().message(11),
    ]
    for message in messages:
        line = protocol.encode_message(message)
        assert b"\n" not in line
        assert protocol.decode_message(line) == message


def _served_batch() -> Batch:
    """A batch as a server serving back to back hands it over: packed columns, then a request
    that failed (it lacks a phase, so its packed column becomes a list), then a plain one."""
    batch = Batch.of([Measured(Invocation(5, 0, fuel=2), True)])
    batch.add_served(Served({
        "wall_ns": array("q", [9, 8]), "cpu_ns": array("q", [7, 6]), "fuel": [None] * 2,
        "guest_memory_bytes": array("q", [1 << 16] * 2),
        "phases_ns": {"instantiate": array("q", [2, 2]), "execute": array("q", [3, 1])}},
        Invocation(4, None, phases_ns={"instantiate": 3}, error="trap")), False)
    batch.add(Measured(Invocation(6, 0, phases_ns={"load": 1}), True))
    return batch


def test_a_served_batch_keeps_its_columns_packed_until_a_gap() -> None:
    batch = _served_batch()
    assert len(batch) == 5
    phases = batch.columns["phases_ns"]
    assert phases["instantiate"] == [None, 2, 2, 3, None] and phases["load"][-1] == 1
    assert isinstance(batch.columns["cpu_ns"], list)  # the first iteration had None there
    items = protocol.decode_message(protocol.encode_message(batch.message(1))).items()
    assert [m.invocation.wall_ns for m in items] == [5, 9, 8, 4, 6]
    assert [m.ok for m in items] == [True, True, True, False, True]
    packed = Batch()
    packed.add_served(Served({
        "wall_ns": array("q", [9, 8]), "cpu_ns": array("q", [7, 6]), "fuel": [None] * 2,
        "guest_memory_bytes": [None] * 2, "phases_ns": {"execute": array("q", [3, 1])}},
        Invocation(4, 0, cpu_ns=5, phases_ns={"execute": 2})), True)
    assert isinstance(packed.columns["wall_ns"], array)
    assert isinstance(packed.columns["phases_ns"]["execute"], array)
    message = packed.message(1)
    assert isinstance(message.wall_ns, Packed) and isinstance(message.phases_ns["execute"], Packed)
    assert [m.invocation.wall_ns for m in message.items()] == [9, 8, 4]


def _batch_line(n: int = 1, **changes: object) -> str:
    """A one-iteration batch on the wire, with its length or some columns changed."""
    line = protocol.encode_message(Batch.of([
        Measured(Invocation(5, 0, phases_ns={"execute": 3}), True)]).message(0))
    message = json.loads(line)
    message.update(changes)
    return json.dumps({**message, "n": n})


SAME_FIVE = {"kind": "same", "value": 5}
EMPTY_BATCH = _batch_line(**{name: [] for name in ("wall_ns", "exit_code", "cpu_ns",
                                                    "peak_rss_bytes", "fuel",
                                                    "guest_memory_bytes", "error", "ok")},
                          phases_ns={})
UNEVEN_BATCH = _batch_line(wall_ns=[5, 6])
UNEVEN_PHASES = _batch_line(phases_ns={"execute": [3, 4]})
BAD_PACKING = _batch_line(wall_ns={"kind": "packed", "data": "not base64!"})
SHORT_PACKING = _batch_line(wall_ns={"kind": "packed", "data": "AAAA"})
NO_ITERATIONS = _batch_line(n=0)
HUGE_BATCH = _batch_line(n=10**20, wall_ns=SAME_FIVE)
NESTED_VALUE = _batch_line(wall_ns=[SAME_FIVE])
LIST_AS_SAME = _batch_line(cpu_ns={"kind": "same-or-none", "value": [1]})
PACKED_TEXT = _batch_line(error={"kind": "packed", "data": "AAAAAAAAAAA="})
BOOL_AS_NUMBER = _batch_line(wall_ns=[True])
NEGATIVE_STAMP = _batch_line().replace('"sent_ns": 0', '"sent_ns": -1')
UNKNOWN_COLUMN = _batch_line(colour=[1])


@pytest.mark.parametrize("line", ['{"type": "Nope"}', '{"type": "Failed"}', "[1]",
                                  '{"type": "Measured", "invocation": {}, "ok": true}',
                                  '{"type": "Measurements"}', '{"type": "Invoke", "count": 0}',
                                  '{"type": "Measurements", "columns": 5}', EMPTY_BATCH,
                                  UNEVEN_BATCH, UNEVEN_PHASES, BAD_PACKING, SHORT_PACKING,
                                  NO_ITERATIONS, HUGE_BATCH, NESTED_VALUE, LIST_AS_SAME,
                                  PACKED_TEXT, BOOL_AS_NUMBER, NEGATIVE_STAMP, UNKNOWN_COLUMN,
                                  '{"type": "Prepared", "footprint_bytes": "x", "reference": 1}'])
def test_garbage_on_the_wire_is_a_value_error(line: str) -> None:
    with pytest.raises(ValueError):
        protocol.decode_message(line)


def test_request_reports_take_exact_stamps_and_refuse_garbage() -> None:
    text = ('{"exit_code": 0, "error": null, "phases_ns": {"compile": 5}, '
            '"main_ns": 9007199254740993, "done_ns": 9007199254740999}')
    report = RequestReport.from_json(text)
    assert (report.main_ns, report.done_ns) == (9007199254740993, 9007199254740999)
    assert RequestReport.from_json(report.to_json()) == report
    for bad in ("", "[]", '{"exit_code": 0, "error": null, "phases_ns": 5}',
                '{"error": null}', '{"exit_code": "x", "error": null}',
                '{"exit_code": 0, "error": 3}', '{"exit_code": 0, "error": null, "fuel": []}',
                '{"exit_code": 0, "error": null, "phases_ns": {"run": null}}',
                '{"exit_code": 1e999, "error": null}', '{"exit_code": 0, "error": null, '
                '"main_ns": "9007199254740993"}'):
        with pytest.raises(ValueError):
            RequestReport.from_json(bad)
