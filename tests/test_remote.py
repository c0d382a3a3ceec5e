"""Remote hosts through a real OpenSSH server (tests/ssh_support.py): a run on this machine and
over SSH at once, doctor, --install, host keys, faults (a refused or dropped connection, a
missing or older faasbench), resume, stop and cancel on every host.

The "remote" is this machine reached through sshd as the user running the tests, with its own
faasbench data dir, so everything crosses a real SSH connection (auth, known_hosts, SFTP,
remote processes).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import read_rows
from ssh_support import ALIAS, QUICK, VENV_FAASBENCH, Sshd, free_port, keygen, start_sshd

from engine import paths


def events(path: Path) -> list[str]:
    return [row["event"] for row in read_rows(path)]


def test_local_and_ssh_host_at_once_side_by_side(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    done = cli("run", "--host", "local", "--host", ALIAS, "--remote-faasbench", VENV_FAASBENCH,
               *QUICK, "--out", str(out))
    assert done.returncode == 0, done.stderr
    (local,) = out.glob("*-local.jsonl")
    (remote,) = out.glob(f"*-{ALIAS}.jsonl")
    for path in (local, remote):
        rows = read_rows(path)
        assert rows[0]["event"] == "run_planned" and rows[0]["environment"]["host"]
        assert rows[-1]["event"] == "run_finished" and rows[-1]["ok_samples"] == 3
    job = read_rows(remote)[0]["environment"]["remote"]
    assert job["host"] == ALIAS and job["results"].endswith(".jsonl")
    assert "hosts side by side" in done.stdout
    assert f"median {ALIAS}" in done.stdout and f"{ALIAS} ÷ local" in done.stdout
    reported = cli("report", str(out), "--format", "md")
    assert reported.returncode == 0, reported.stderr
    assert f"## {ALIAS}: run " in reported.stdout and "## local: run " in reported.stdout
    side = reported.stdout.split("## hosts side by side")[1].splitlines()
    assert side[2] == f"| benchmark | size | runtime | mode | median local | median {ALIAS} | " \
                      f"{ALIAS} ÷ local |"
    assert side[4].startswith("| nop | 0 | native | cold | ")


def test_json_stream_tags_each_event_with_its_host(cli: Any, tmp_path: Path) -> None:
    done = cli("run", "--host", "local", "--host", ALIAS, "--remote-faasbench", VENV_FAASBENCH,
               *QUICK, "--json", "--out", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert {line["host"] for line in lines} == {"local", ALIAS}
    for host in ("local", ALIAS):
        mine = [line["event"] for line in lines if line["host"] == host]
        assert mine[0] == "run_planned" and mine[-1] == "run_finished"
        assert mine.count("sample_recorded") == 3


def test_doctor_over_ssh(cli: Any) -> None:
    done = cli("doctor", "--host", ALIAS, "--remote-faasbench", VENV_FAASBENCH, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["faasbench"] == VENV_FAASBENCH and report["version"]
    assert report["python"].startswith("3.")
    native = next(r for r in report["runtimes"] if r["name"] == "native")
    assert native["ok"] and all("reason" in r for r in report["runtimes"])
    shown = cli("doctor", "--host", ALIAS, "--remote-faasbench", VENV_FAASBENCH)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"{ALIAS}: reachable; Python {report['python']}; "
                                   f"faasbench {report['version']}")
    assert f"faasbench doctor on {ALIAS}" in shown.stdout


def test_nothing_reaches_stderr_but_our_own_lines(cli: Any) -> None:
    """A dependency's import warnings (asyncssh naming cryptography's deprecated DSA once
    printed five lines on every SSH command) stay off the user's terminal: doctor and watch
    print nothing on stderr, a run only its progress and where its results went."""
    remote = ("--remote-faasbench", VENV_FAASBENCH)
    doctor = cli("doctor", "--host", ALIAS, *remote)
    assert doctor.returncode == 0 and doctor.stderr == "", doctor.stderr
    ran = cli("run", "--host", ALIAS, *remote, *QUICK)
    assert ran.returncode == 0, ran.stderr
    for line in ran.stderr.splitlines():
        assert line.startswith((f"{ALIAS} ", f"{ALIAS}: done", f"results ({ALIAS}): ")), line
    watched = cli("watch", ALIAS, "--plain", *remote)
    assert watched.returncode == 0 and watched.stderr == "", watched.stderr
    assert watched.stdout.rstrip().endswith("run finished: 3 ok, 0 failed")


def test_a_host_without_sftp_says_what_to_add(built, tmp_path: Path) -> None:
    """An sshd with no ``Subsystem sftp`` line (minimal images, dropbear): one line naming
    what to add, for a run and for watch, instead of asyncssh's "Session request failed"."""
    server = start_sshd(tmp_path / "sshd", paths.cache_dir(), sftp=False)
    try:
        env = server.client_env(paths.cache_dir(), tmp_path / "data")

        def faasbench(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "faasbench", *args, "--remote-faasbench",
                                   VENV_FAASBENCH], env=env, capture_output=True, text=True,
                                  timeout=120, check=False)

        said = (f"{ALIAS}: its SSH server offers no SFTP, which faasbench uses to send plans and "
                f"read results; add `Subsystem sftp internal-sftp` to its /etc/ssh/sshd_config")
        ran = faasbench("run", "--host", ALIAS, *QUICK)
        assert ran.returncode == 2 and ran.stderr.startswith(said), ran.stderr
        watched = faasbench("watch", ALIAS, "--plain")
        assert watched.returncode == 1 and watched.stdout.startswith(f"note: {said}")
        assert "ChannelOpenError" not in ran.stderr + watched.stdout + watched.stderr
    finally:
        server.stop()


def test_missing_faasbench_says_what_to_run(cli: Any) -> None:
    done = cli("run", "--host", ALIAS, "--remote-faasbench", "/nonexistent/bin/faasbench",
               *QUICK)
    assert done.returncode == 2  # no host could start the run
    assert "faasbench is not installed there" in done.stderr
    assert "--install" in done.stderr


def test_older_faasbench_says_what_to_run(cli: Any, tmp_path: Path) -> None:
    """No older faasbench release exists to install, so a stand-in answers --version as one
    would (the only thing the check reads)."""
    old = tmp_path / "faasbench"
    old.write_text("#!/bin/sh\necho faasbench 0.0.1\n")
    old.chmod(0o755)
    done = cli("run", "--host", ALIAS, "--remote-faasbench", str(old), *QUICK)
    assert done.returncode == 2
    assert f"{old} is faasbench 0.0.1, older than" in done.stderr
    assert "--install" in done.stderr


def test_other_hosts_carry_on_when_one_refuses(cli: Any, tmp_path: Path) -> None:
    dead = f"root@127.0.0.1:{free_port()}"
    done = cli("run", "--host", "local", "--host", dead, *QUICK, "--out", str(tmp_path / "r"))
    assert done.returncode == 1
    assert f"{dead}: connection refused" in done.stderr
    (local,) = (tmp_path / "r").glob("*local.jsonl")
    assert events(local)[-1] == "run_finished"


def test_a_host_that_never_answers_times_out(cli: Any) -> None:
    """A host whose TCP port accepts but never speaks SSH (a hung sshd, a black-holing
    firewall): the connection gives up after its timeout with one line, exit 2."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        done = cli("doctor", "--host", f"root@127.0.0.1:{port}", timeout=120)
    assert done.returncode == 2, done.stderr
    assert f"no answer from 127.0.0.1:{port} within" in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_host_without_python3_says_what_to_install(cli: Any, tmp_path: Path) -> None:
    """A real second sshd whose sessions find no python3 on PATH (a bare host)."""
    bare = start_sshd(tmp_path / "bare", paths.cache_dir(), session_env="PATH=/nonexistent")
    try:
        done = cli("doctor", "--host", ALIAS, home=bare.home)  # its own key and alias
    finally:
        bare.stop()
    assert done.returncode == 2, done.stderr
    assert "python3 is not installed there" in done.stderr and "apt-get install" in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_host_that_refuses_the_run_exits_2(cli: Any, tmp_path: Path) -> None:
    """A real second sshd whose sessions name a Docker engine that is not there: faasbench
    there refuses the run before writing anything, so no host started it."""
    engineless = start_sshd(tmp_path / "engineless", paths.cache_dir(),
                            session_env="DOCKER_HOST=unix:///nonexistent/docker.sock")
    try:
        done = cli("run", "--host", ALIAS, "--remote-faasbench", VENV_FAASBENCH, "--runtimes",
                   "docker", "--benchmarks", "nop", "--mode", "cold", "--iterations", "1",
                   "--yes", "--out", str(tmp_path / "r"), home=engineless.home)
    finally:
        engineless.stop()
    assert done.returncode == 2, done.stderr
    assert "runtime docker unavailable" in done.stderr
    assert "none (it did not start)" in done.stderr
    assert not list((tmp_path / "r").glob("*.jsonl")), "a refused run leaves no (empty) file"


def test_unknown_host_key_refused_then_recorded_changed_key_refused(
        cli: Any, sshd: Sshd, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    for name in ("config", "id_ed25519"):
        (home / ".ssh" / name).write_bytes((sshd.home / ".ssh" / name).read_bytes())
    (home / ".ssh" / "id_ed25519").chmod(0o600)
    args = ("doctor", "--host", ALIAS, "--remote-faasbench", VENV_FAASBENCH, "--json")

    refused = cli(*args, home=home)
    assert refused.returncode == 2
    assert "host key is not in" in refused.stderr and "--accept-new-host-key" in refused.stderr
    assert not (home / ".ssh" / "known_hosts").exists()

    accepted = cli(*args, "--accept-new-host-key", home=home)
    assert accepted.returncode == 0, accepted.stderr
    recorded = (home / ".ssh" / "known_hosts").read_text().split()
    assert recorded[:3] == sshd.host_key_line.split()
    assert cli(*args, home=home).returncode == 0

    other = keygen(tmp_path / "other_key")
    (home / ".ssh" / "known_hosts").write_text(
        f"[127.0.0.1]:{sshd.port} {' '.join(other.split()[:2])}\n")
    changed = cli(*args, "--accept-new-host-key", home=home)
    assert changed.returncode == 2
    assert "CHANGED" in changed.stderr and "ssh-keygen -R" in changed.stderr


def test_a_key_held_only_by_the_ssh_agent_is_used(cli: Any, sshd: Sshd, tmp_path: Path) -> None:
    """The usual set-up: ~/.ssh names no key file and holds none; the key is loaded into a
    real ssh-agent, found through SSH_AUTH_SOCK."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "known_hosts").write_bytes((sshd.home / ".ssh" / "known_hosts").read_bytes())
    config = (sshd.home / ".ssh" / "config").read_text().splitlines()
    (home / ".ssh" / "config").write_text(
        "".join(f"{line}\n" for line in config if "IdentityFile" not in line))
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        agent_env = {"SSH_AUTH_SOCK": str(sock)}
        subprocess.run(["ssh-add", str(sshd.home / ".ssh" / "id_ed25519")],
                       env={**os.environ, **agent_env}, check=True, capture_output=True)
        done = cli("doctor", "--host", ALIAS, "--remote-faasbench", VENV_FAASBENCH, "--json",
                   home=home, extra_env=agent_env)
    finally:
        agent.terminate()
        agent.wait(10)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["runtimes"]


def test_a_key_the_host_does_not_accept_is_an_authentication_failure(
        cli: Any, sshd: Sshd, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    for name in ("config", "known_hosts"):
        (home / ".ssh" / name).write_bytes((sshd.home / ".ssh" / name).read_bytes())
    keygen(home / ".ssh" / "id_ed25519")  # a key of its own, not in authorized_keys
    (home / ".ssh" / "config").write_text((home / ".ssh" / "config").read_text().replace(
        str(sshd.home), str(home)))
    done = cli("doctor", "--host", ALIAS, home=home)
    assert done.returncode == 2
    assert done.stderr.startswith(f"faasbench: error: {ALIAS}: authentication failed")


def test_dropped_connection_keeps_samples_and_resume_fetches_the_rest(
        cli: Any, sshd: Sshd, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    env = sshd.client_env(paths.cache_dir(), tmp_path / "data")
    iterations = 200
    proc = subprocess.Popen(
        [sys.executable, "-m", "faasbench", "run", "--host", ALIAS, "--remote-faasbench",
         VENV_FAASBENCH, "--runtimes", "native", "--benchmarks", "nbody", "--iterations",
         str(iterations), "--mode", "cold", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        local = next(out.glob("*.jsonl"), None)
        if local is not None and events(local).count("sample_recorded") >= 10:
            break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the remote run produced no samples")
    for session in sshd.sessions():  # the connection drops: its sshd child dies
        session.kill()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "connection lost" in stderr and "--resume" in stderr
    rows = read_rows(local)
    kept = [r for r in rows if r["event"] == "sample_recorded"]
    closed = rows[-2]
    assert closed["event"] == "cell_finished" and "connection lost" in closed["error"]
    assert closed["summary"]["ok"] == len(kept) >= 10
    assert len(kept) < iterations and rows[-1]["event"] == "run_error"

    resumed = cli("run", "--resume", str(local))
    assert resumed.returncode == 0, resumed.stderr
    rows = read_rows(local)
    samples = [r for r in rows if r["event"] == "sample_recorded"]
    assert len(samples) == iterations and all(s["ok"] for s in samples)
    assert [s["iteration"] for s in samples[:len(kept)]] == [s["iteration"] for s in kept]
    assert rows[-1]["event"] == "run_finished" and rows[-1]["ok_samples"] == iterations


def test_bootstrap_installs_this_faasbench_into_a_fresh_remote_venv(cli: Any, sshd: Sshd,
                                                                    tmp_path: Path) -> None:
    venv = sshd.remote_data / "venv"
    assert not venv.exists()
    missing = cli("run", "--host", ALIAS, *QUICK)
    assert missing.returncode == 2  # no host could start the run
    assert "--install" in missing.stderr and str(venv) in missing.stderr

    done = cli("run", "--host", ALIAS, "--install", *QUICK, "--out", str(tmp_path / "r"),
               timeout=900)
    assert done.returncode == 0, done.stderr
    here = subprocess.run([VENV_FAASBENCH, "--version"], capture_output=True, text=True)
    there = subprocess.run([str(venv / "bin" / "faasbench"), "--version"],
                           capture_output=True, text=True)
    assert there.stdout == here.stdout and there.stdout.startswith("faasbench ")
    (results,) = (tmp_path / "r").glob("*.jsonl")
    rows = read_rows(results)
    assert rows[0]["environment"]["remote"]["host"] == ALIAS
    assert rows[-1]["event"] == "run_finished" and rows[-1]["ok_samples"] == 3


def test_an_installed_distribution_packs_back_into_a_wheel(tmp_path: Path) -> None:
    """What a user who installed the wheel installs on hosts from (no checkout): checked on an
    installed pure-Python distribution (platformdirs, one of faasbench's own), which pip
    installs from the packed wheel."""
    from importlib import metadata

    from engine.remote.install import repack

    wheel = repack(metadata.distribution("platformdirs"), tmp_path)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--target", str(target), str(wheel)], check=True)
    probe = subprocess.run([sys.executable, "-c", "import platformdirs, importlib.metadata as m; "
                            "print(platformdirs.__file__, m.version('platformdirs'))"],
                           capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONPATH": str(target)})
    where, version = probe.stdout.split()
    assert where.startswith(str(target)) and version == metadata.version("platformdirs")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGUSR1])
def test_stop_and_cancel_cell_reach_every_host(sshd: Sshd, tmp_path: Path,
                                               signum: signal.Signals) -> None:
    """Ctrl-C stops the run on every host, SIGUSR1 (the dashboard's cancel cell) the current
    cell; each host keeps what it measured and closes its file properly."""
    out = tmp_path / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "faasbench", "run", "--host", "local", "--host", ALIAS,
         "--remote-faasbench", VENV_FAASBENCH, "--runtimes", "native", "--benchmarks", "nbody",
         "--iterations", "2000", "--mode", "cold", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=sshd.client_env(paths.cache_dir(), tmp_path / "data"))
    deadline = time.monotonic() + 120
    while sum(events(p).count("sample_recorded") >= 5 for p in out.glob("*.jsonl")) < 2:
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signum)
    proc.communicate(timeout=120)
    assert proc.returncode == (130 if signum == signal.SIGINT else 0)
    for path in out.glob("*.jsonl"):
        rows = read_rows(path)
        cell = next(r for r in rows if r["event"] == "cell_finished")
        assert cell["cancelled"] and 5 <= cell["summary"]["ok"] < 2000
        assert rows[-1]["event"] == "run_finished"
        assert rows[-1]["cancelled"] == (signum == signal.SIGINT)
