"""The launcher's report: parsed from fd 3 or from the tail of stderr, honest about zeros."""

from __future__ import annotations

import pytest

from engine.launcher import LaunchReport, parse_report, split_report

pytestmark = pytest.mark.fast

LINE = b"faasbench-launch start_ns=10 end_ns=25 cpu_ns=7 peak_rss=4096 exit=3 signal=0\n"


def test_report_fields():
    assert parse_report(LINE) == LaunchReport(10, 25, 7, 4096, 3, None)


def test_killed_program_and_zero_peak():
    report = parse_report(b"faasbench-launch start_ns=1 end_ns=2 cpu_ns=0 peak_rss=0 exit=-1 "
                          b"signal=9\n")
    assert report is not None
    assert report.exit_code is None and report.signal == 9 and report.peak_rss_bytes is None


def test_report_split_from_stderr():
    assert split_report(b"warn\n\n" + LINE) == (b"warn\n", parse_report(LINE))
    assert split_report(b"no report") == (b"no report", None)
    assert parse_report(b"garbage") is None
