"""The launcher: its report parsed from fd 3 or from the tail of stderr, honest about zeros; and
the real launcher in both modes, one run per call and serve mode (PID 1 of a warm container)."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.build.launcher import (
    LaunchReport,
    launcher_path,
    parse_report,
    serve_argv,
    split_report,
)

LINE = b"faasbench-launch start_ns=10 end_ns=25 cpu_ns=7 peak_rss=4096 exit=3 signal=0\n"


@pytest.mark.fast
def test_report_fields():
    assert parse_report(LINE) == LaunchReport(10, 25, 7, 4096, 3, None)


@pytest.mark.fast
def test_killed_program_and_zero_peak():
    report = parse_report(b"faasbench-launch start_ns=1 end_ns=2 cpu_ns=0 peak_rss=0 exit=-1 "
                          b"signal=9\n")
    assert report is not None
    assert report.exit_code is None and report.signal == 9 and report.peak_rss_bytes is None


@pytest.mark.fast
def test_report_split_from_stderr():
    assert split_report(b"warn\n\n" + LINE) == (b"warn\n", parse_report(LINE))
    assert split_report(b"no report") == (b"no report", None)
    assert parse_report(b"garbage") is None


SCRIPT = "printf 'out\\000\\377'; echo err >&2; [ -e flag ] && kill -ILL $$; exit 3"
"""Binary stdout, a line of stderr, exit 3; killed by SIGILL while ``flag`` exists."""


def test_one_run_reports_on_stderr_without_fd_3(tmp_path: Path) -> None:
    """Without fd 3 (docker exec) the report follows the program's own stderr, after a
    newline; the launcher exits with the program's status."""
    proc = subprocess.run([str(launcher_path()), "/bin/sh", "sh", "-c", SCRIPT],
                          capture_output=True, cwd=tmp_path)
    stderr, report = split_report(proc.stderr)
    assert (proc.returncode, proc.stdout, stderr) == (3, b"out\0\xff", b"err\n")
    assert report is not None and (report.exit_code, report.signal) == (3, None)
    assert 0 < report.start_ns <= report.end_ns


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, int]]:
    """The launcher serving SCRIPT from tmp_path, with the worker's ends of its FIFOs: the
    request end read-write (opening never blocks), the reply end non-blocking."""
    for name in ("request", "reply"):
        os.mkfifo(tmp_path / name)
    request = os.open(tmp_path / "request", os.O_RDWR | os.O_CLOEXEC)
    reply = os.open(tmp_path / "reply", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    proc = subprocess.Popen([str(launcher_path()),
                             *serve_argv(str(tmp_path), "/bin/sh", ["sh", "-c", SCRIPT])],
                            cwd=tmp_path, stdin=subprocess.DEVNULL)
    try:
        yield proc, request, reply
    finally:
        proc.kill()
        proc.wait()
        os.close(reply)
        with contextlib.suppress(OSError):  # the test may have closed it already
            os.close(request)


def ask(request: int, reply: int) -> tuple[int, LaunchReport, int]:
    """One request: (when it was written, the report, when the report was read)."""
    before = time.perf_counter_ns()
    os.write(request, b"\n")
    data = b""
    while not data.endswith(b"\n"):
        assert select.select([reply], [], [], 30)[0], "no report within 30 s"
        data += os.read(reply, 4096)
    report = parse_report(data)
    assert report is not None, data
    return before, report, time.perf_counter_ns()


def test_serve_mode_runs_the_program_per_request(tmp_path: Path, served) -> None:
    """Each request runs the program afresh with truncated output files and answers with the
    usual report, stamped on the caller's clock; a killing signal is named; when the last
    writer of the request FIFO is gone, the launcher exits."""
    proc, request, reply = served
    for attempt in range(2):
        before, report, after = ask(request, reply)
        assert before <= report.start_ns <= report.end_ns <= after
        assert (report.exit_code, report.signal) == (3, None)
        assert report.cpu_ns > 0 and (report.peak_rss_bytes or 1) > 0
        assert (tmp_path / "stdout").read_bytes() == b"out\0\xff", attempt
        assert (tmp_path / "stderr").read_bytes() == b"err\n", attempt
    (tmp_path / "flag").touch()
    _, report, _ = ask(request, reply)
    assert (report.exit_code, report.signal) == (None, signal.SIGILL)
    assert (tmp_path / "stdout").read_bytes() == b"out\0\xff"
    assert proc.poll() is None
    os.close(request)
    assert proc.wait(30) == 0


def test_serve_mode_needs_its_arguments() -> None:
    proc = subprocess.run([str(launcher_path()), "--serve", "/nonexistent"], capture_output=True)
    assert proc.returncode == 126
    assert proc.stderr == b"usage: launcher --serve DIR PATH ARGV0 [ARGS...]\n"
