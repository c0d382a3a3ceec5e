"""Following runs and hosts in the dashboard: ``watch`` on a file another process writes (here
and over SSH, plain and in the live view), a file that stops growing, the setup screen's hosts
field with the live view grouped by host and the hosts side by side, and host names checked.

The SSH server is the real one of tests/ssh_support.py (the ``sshd`` fixture).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from ssh_support import ALIAS, QUICK, VENV_FAASBENCH, Sshd

from engine import paths


def _writer(path: Path, env: dict[str, str], benchmarks: str = "nbody",
            iterations: int = 60) -> subprocess.Popen[bytes]:
    """Another process writing a run (slow enough to be watched while it grows)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "faasbench", "run", "--runtimes", "native", "--benchmarks",
         benchmarks, "--iterations", str(iterations), "--mode", "cold", "--out", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 60
    while not (path.exists() and "sample_recorded" in path.read_text()):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    return proc


@pytest.mark.parametrize("where", ["here", "over ssh"])
def test_watch_follows_a_run_another_process_writes(cli: Any, sshd: Sshd, tmp_path: Path,
                                                    where: str) -> None:
    target = (tmp_path / "run.jsonl" if where == "here"
              else sshd.remote_data / "results" / f"watched-{os.getpid()}.jsonl")
    target.parent.mkdir(parents=True, exist_ok=True)
    writer = _writer(target, sshd.client_env(paths.cache_dir(), tmp_path / "data"))
    assert "run_finished" not in target.read_text()  # still growing when watching starts
    watched = cli("watch", str(target) if where == "here" else ALIAS, "--plain", timeout=120)
    writer.wait(60)
    assert watched.returncode == 0, watched.stderr
    assert "native/nbody/cold: median" in watched.stdout
    assert watched.stdout.rstrip().endswith("run finished: 60 ok, 0 failed")


@pytest.mark.parametrize("where", ["here", "over ssh"])
def test_ctrl_c_detaches_watch_and_the_run_goes_on(sshd: Sshd, tmp_path: Path,
                                                   where: str) -> None:
    """The first Ctrl-C stops following and says so (exit 0); the watched run is not touched."""
    target = (tmp_path / "run.jsonl" if where == "here"
              else sshd.remote_data / "results" / f"detached-{os.getpid()}.jsonl")
    target.parent.mkdir(parents=True, exist_ok=True)
    env = sshd.client_env(paths.cache_dir(), tmp_path / "data")
    writer = _writer(target, env, "nop,nbody", 400)  # nbody's cell takes seconds
    watcher = subprocess.Popen(
        [sys.executable, "-m", "faasbench", "watch", str(target) if where == "here" else ALIAS,
         "--plain"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**env, "HOME": str(sshd.home)})
    assert watcher.stdout is not None
    first = watcher.stdout.readline()  # following: nop's cell has finished, nbody's runs
    watcher.send_signal(signal.SIGINT)
    rest, stderr = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, stderr
    assert "detaching: the run goes on there" in stderr
    assert first.startswith("native/nop/cold: median"), first
    assert "run finished" not in rest, "it stopped following before the run ended"
    assert writer.wait(120) == 0
    assert "run_finished" in target.read_text()


def test_dashboard_runs_on_two_hosts_groups_them_and_compares(
        sshd: Sshd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The setup screen's hosts field: the live view groups the cells under each host, the
    compare view puts the hosts side by side, each host's results in a file of its own; a
    re-run of a host's cell runs there."""
    from textual.widgets import Input, Static
    from tui_support import choose, report, run, screen_text, wait_until

    from tui.app import Config, make_app
    from tui.widgets.cell_row import CellRow

    for key, value in sshd.client_env(paths.cache_dir(), tmp_path / "data").items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.setenv("FAASBENCH_REMOTE_FAASBENCH", VENV_FAASBENCH)
    app = make_app(Config(doctor_report=report("native"), history_dir=tmp_path,
                          results_path=tmp_path / "results.jsonl"))

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            choose(app, {"nop": 0}, 3)
            app.screen.query_one("#hosts", Input).value = f"local, {ALIAS}"
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.link is not None and not app.link.busy, 120)
            rows = list(app.screen.query(CellRow))
            assert [r.cell.cell_id for r in rows] == ["local: native/nop/cold",
                                                      f"{ALIAS}: native/nop/cold"]
            assert all(r.cell.status == "done" and len(r.cell.wall_ns) == 3 for r in rows)
            heads = [str(h.render()) for h in app.screen.query(".host-head")]
            assert heads == ["on local", f"on {ALIAS}"]

            rows[1].focus()  # a re-run goes back to the cell's own host
            await pilot.press("r")
            await pilot.press("ctrl+a", "ctrl+k", *"4", "enter")
            remote = app.model.cells[f"{ALIAS}: native/nop/cold"]
            await wait_until(pilot, lambda: len(remote.wall_ns) == 4 and not app.link.busy,
                             120)
            assert len(app.model.cells) == 2 and len(rows[0].cell.wall_ns) == 3
            await pilot.press("v")
            await pilot.pause(0.2)
            app.screen.query_one("TabbedContent").active = "hosts"
            await pilot.pause(0.2)
            assert app.screen.query_one("#hosts-table", Static).visual is not None
            text = screen_text(app)
            assert "hosts side by side" in text and f"median {ALIAS}" in text
            assert f"{ALIAS} ÷ local" in text

    run(scenario())
    hosts_dir = tmp_path / "results-hosts"
    assert len(list(hosts_dir.glob("*-local.jsonl"))) == 1
    assert len(list(hosts_dir.glob(f"*-{ALIAS}.jsonl"))) == 2  # the run, then the re-run


def test_dashboard_watch_follows_a_growing_file(sshd: Sshd, tmp_path: Path) -> None:
    """``faasbench watch`` opens the live view on a file another process is writing; the
    cells fill in as lines arrive, and the log says when the run finished."""
    from textual.widgets import RichLog
    from tui_support import run, wait_until

    from tui.app import Config, make_app

    target = tmp_path / "run.jsonl"
    writer = _writer(target, sshd.client_env(paths.cache_dir(), tmp_path / "data"))
    app = make_app(Config(doctor_report={"runtimes": []}, history_dir=tmp_path,
                          watch=str(target)))

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: app.model.finished is not None, 120)
            cell = app.model.cells["native/nbody/cold"]
            assert cell.status == "done" and len(cell.wall_ns) == 60
            log = "\n".join(str(line.text) for line in app.screen.query_one(RichLog).lines)
            assert "run finished: 60 ok, 0 failed" in log

    run(scenario())
    assert writer.wait(60) == 0


@pytest.mark.fast
@pytest.mark.parametrize(("text", "expected"), [
    ("local", ("local", "local", None, None)),
    ("me@box.example:2222", ("me@box.example:2222", "box.example", "me", 2222)),
    ("alias", ("alias", "alias", None, None)),
])
def test_host_names(text: str, expected: tuple[Any, ...]) -> None:
    from engine.remote.hosts import parse_host

    host = parse_host(text)
    assert (host.name, host.address, host.user, host.port) == expected


@pytest.mark.fast
@pytest.mark.parametrize(("text", "message"), [
    ("me@box:99999", "port 99999 is not between 1 and 65535"),
    ("me@box;rm -rf /", "is not of the form user@host[:port]"),
    ("-oProxyCommand=x", "is not of the form user@host[:port]"),
    ("", "is not of the form user@host[:port]"),
])
def test_bad_host_names_are_one_line_errors(text: str, message: str) -> None:
    from engine.remote.hosts import HostNameError, parse_hosts

    with pytest.raises(HostNameError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_hosts([text])


@pytest.mark.fast
def test_bad_host_on_the_command_line_exits_2(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "faasbench", "run", "--host", "a b", *QUICK],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "'a b' is not of the form user@host[:port]" in done.stderr
    twice = subprocess.run([sys.executable, "-m", "faasbench", "run", "--host", "local",
                            "--host", "local", *QUICK], capture_output=True, text=True)
    assert twice.returncode == 2 and "given twice" in twice.stderr
    missing = subprocess.run([sys.executable, "-m", "faasbench", "watch",
                              str(tmp_path / "none.jsonl")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no results file" in missing.stderr


@pytest.mark.fast
def test_watch_says_when_a_file_stops_growing(tmp_path: Path) -> None:
    """A run killed mid-way leaves a file without run_finished: watching it says so (once)."""
    from engine.remote.fanout import RemoteOptions
    from engine.remote.watch import watch
    from engine.store.events import RunError

    recorded = (Path(__file__).parent / "data" / "tui" / "recorded_run.jsonl").read_text()
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(recorded.splitlines(keepends=True)[:20]))
    fanout = watch(str(cut), RemoteOptions(), quiet_seconds=0.5)
    seen = []
    for _, event in fanout.events():
        seen.append(event)
        if isinstance(event, RunError):
            fanout.cancel()
    assert len(seen) == 21 and isinstance(seen[-1], RunError)
    assert "has not grown for 0.5 s and has no run_finished line" in seen[-1].message
