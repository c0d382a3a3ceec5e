"""A real OpenSSH server for the remote-host tests, and a client side that points at it.

The server is Debian's sshd on 127.0.0.1 on a free port, with a throwaway host key, the login
of the user running the tests (root in CI) by a throwaway user key, and its own data dir for
faasbench (``SetEnv``), so the "remote" runs on this machine without touching the real ~/.ssh
or data dir. The client side is a fresh HOME whose ~/.ssh holds the key, a known_hosts and a
config alias (``faasbench-test``: HostName, Port and User from the config, as a user would set
them up).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

SSHD = "/usr/sbin/sshd"
ALIAS = "faasbench-test"
"""The server's name in the client's ~/.ssh/config."""
VENV_FAASBENCH = str(Path(sys.executable).parent / "faasbench")
"""The remote side runs this checkout's faasbench unless a test installs one."""
QUICK = ["--runtimes", "native", "--benchmarks", "nop", "--iterations", "3", "--mode", "cold"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                   check=True)
    return path.with_suffix(".pub").read_text().strip()


@dataclass
class Sshd:
    root: Path
    port: int
    home: Path
    """The client's HOME: .ssh/config, id_ed25519, known_hosts."""
    remote_data: Path
    """FAASBENCH_DATA_DIR of sessions on this server."""
    proc: subprocess.Popen[bytes]
    host_key_line: str

    @property
    def known_hosts(self) -> Path:
        return self.home / ".ssh" / "known_hosts"

    def client_env(self, cache_dir: Path, data_dir: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
        return {**env, "HOME": str(self.home), "FAASBENCH_CACHE_DIR": str(cache_dir),
                "FAASBENCH_DATA_DIR": str(data_dir)}

    def sessions(self) -> list[psutil.Process]:
        """The sshd processes serving connections: the listener's children and, when a user
        other than root logs in, their own sshd children, which hold the connection too."""
        return [p for p in psutil.Process(self.proc.pid).children(recursive=True)
                if p.name() == "sshd"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def start_sshd(root: Path, cache_dir: Path, session_env: str = "", sftp: bool = True) -> Sshd:
    """``session_env`` adds ``NAME=value`` settings to every session's environment; without
    ``sftp`` the server has no ``Subsystem sftp`` line (as minimal images have none)."""
    if shutil.which("sshd") is None and not Path(SSHD).exists():
        raise RuntimeError("sshd is missing: apt-get install openssh-server (./setup.sh test)")
    if os.geteuid() == 0:  # sshd's privilege separation dir; sshd run by a user needs none
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    host_pub = keygen(root / "host_key")
    home = root / "home"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    user_pub = keygen(home / ".ssh" / "id_ed25519")
    (root / "authorized_keys").write_text(user_pub + "\n")
    remote_data = root / "remote-data"
    port = free_port()
    (root / "sshd_config").write_text(f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {root / 'host_key'}
PidFile {root / 'sshd.pid'}
AuthorizedKeysFile {root / 'authorized_keys'}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
{"Subsystem sftp internal-sftp" if sftp else ""}
SetEnv FAASBENCH_DATA_DIR={remote_data} FAASBENCH_CACHE_DIR={cache_dir} {session_env}
LogLevel ERROR
""")
    (home / ".ssh" / "config").write_text(
        f"Host {ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User {getpass.getuser()}\n"
        f"  IdentityFile {home / '.ssh' / 'id_ed25519'}\n")
    key_line = f"[127.0.0.1]:{port} {' '.join(host_pub.split()[:2])}"
    (home / ".ssh" / "known_hosts").write_text(key_line + "\n")
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(root / "sshd_config")],
                            stderr=open(root / "sshd.log", "wb"))  # noqa: SIM115
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((root / "sshd.log").read_text()) from None
            time.sleep(0.05)
    return Sshd(root, port, home, remote_data, proc, key_line)
