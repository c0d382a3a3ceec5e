"""Starting and stopping real Docker engines for the tests, through the same script CI uses."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Optional

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "dockerd.sh"


def dockerd(action: str, directory: Optional[Path] = None) -> str:
    """Run ``.ci/dockerd.sh start|stop [DIR]``; ``start`` returns the DOCKER_HOST to use."""
    argv = ["sh", str(SCRIPT), action, *([str(directory)] if directory else [])]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"{SCRIPT.name} {action} failed: {proc.stderr.strip()[-1500:]}")
    return proc.stdout.strip()


def labelled_containers(label: str) -> list[dict]:
    """Containers (running or not) carrying a label, on the engine DOCKER_HOST names."""
    from engine.runtimes.docker.engine_client import connect

    with connect() as client:
        return client.containers(all=True, filters={"label": label})
