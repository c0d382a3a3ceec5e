"""Finding and talking to a Docker engine: DOCKER_HOST first, then the current docker context.

Everything here turns engine trouble into one-line reasons, because an absent or dying engine
must cost the docker row, never the run.
"""

from __future__ import annotations

import os
import shutil
from typing import Any, Optional

from engine.runtimes.base import CellStopped

DEFAULT_HOST = "unix:///var/run/docker.sock"
FIX = "start dockerd (sudo dockerd &), or set DOCKER_HOST"
CONNECT_TIMEOUT_S = 10
CLI_FIX = "apt-get install docker.io (the CLI) — load and warm need only the engine"
ENGINE_BINARIES = ("dockerd", "containerd", ("containerd-shim-runc-v2", "containerd-shim-runc-v1",
                   "containerd-shim"), "runc", "docker-init", "docker-proxy")
"""What a machine runs containers with: the daemon, containerd, its shim (the first one present),
runc, the init ``--init`` injects and the userland port proxy. The docker CLI is not among them:
a FaaS node talks to the API."""
ENGINE_DIRS = ("/usr/bin", "/usr/sbin", "/usr/libexec/docker", "/usr/local/bin")
"""Searched after PATH: packages put dockerd in sbin, which a user's PATH may lack."""


class EngineError(RuntimeError):
    """The engine cannot be reached or stopped answering; the message says which engine."""


def engine_address() -> str:
    """The engine address the docker CLI would use: DOCKER_HOST, else the current context."""
    host = os.environ.get("DOCKER_HOST")
    if host:
        return host
    try:
        from docker.context import ContextAPI

        context = ContextAPI.get_context(os.environ.get("DOCKER_CONTEXT"))
        if context is not None and context.Host:
            return context.Host
    except Exception:  # a broken ~/.docker/config.json falls back to the default socket
        pass
    return DEFAULT_HOST


def connect(timeout_s: float = CONNECT_TIMEOUT_S) -> Any:
    """A low-level ``docker.APIClient`` for the engine; raises EngineError when none answers."""
    host = engine_address()
    try:
        import docker
    except ImportError as exc:
        raise EngineError("the docker package is not installed "
                          "(python3 -m pip install 'docker>=7')") from exc
    try:
        if os.environ.get("DOCKER_HOST"):
            client = docker.from_env(timeout=int(timeout_s),
                                     use_ssh_client=host.startswith("ssh://")).api
        else:
            client = docker.APIClient(base_url=host, timeout=int(timeout_s), version="auto",
                                      use_ssh_client=host.startswith("ssh://"))
        client.ping()
    except Exception as exc:  # the SDK raises many types; all mean "no engine here"
        raise EngineError(f"no Docker engine at {host}: {describe_error(exc)}") from exc
    return client


def describe_error(exc: BaseException) -> str:
    """A short reason from an SDK/requests exception (their messages nest several layers deep)."""
    text = str(exc)
    for marker in ("Error while fetching server API version: ", "Max retries exceeded"):
        if marker in text:
            text = text.split(marker, 1)[-1]
    return f"{type(exc).__name__}: {text.strip()[:300]}"


def engine_version(client: Any) -> str:
    version = client.version()
    return f"{version.get('Version', '?')} (API {version.get('ApiVersion', '?')})"


def is_local(host: Optional[str] = None) -> bool:
    """Bind mounts and cgroup figures need the engine on this machine (a unix socket)."""
    return (host or engine_address()).startswith("unix://")


def docker_cli() -> Optional[str]:
    """The docker CLI on PATH (what ``docker run`` by hand would use), or None."""
    return shutil.which("docker")


def _find_binary(name: str) -> Optional[str]:
    """``name`` on PATH or in ENGINE_DIRS, symlinks resolved (docker-init -> tini-static)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *ENGINE_DIRS])
    found = shutil.which(name, path=search)
    return os.path.realpath(found) if found else None


def engine_binaries() -> dict[str, str]:
    """Name -> resolved path of every engine binary installed here (see ENGINE_BINARIES)."""
    found: dict[str, str] = {}
    for entry in ENGINE_BINARIES:
        for name in (entry,) if isinstance(entry, str) else entry:
            path = _find_binary(name)
            if path is not None:
                found[name] = path
                break
    return found


def engine_bytes() -> Optional[int]:
    """Installed size of the engine's binaries (each file once); None when none is found."""
    paths = set(engine_binaries().values())
    return sum(os.path.getsize(p) for p in paths) if paths else None


ENGINE_FAILED = "Docker engine at "
"""How an iteration's failure that the engine caused begins (``engine_failed``)."""
REMOVED_FROM_OUTSIDE = ("container removed from outside the run (`faasbench clean --force` or "
                        "`docker rm`)")


def engine_failed(detail: str) -> str:
    """An iteration's failure that the engine caused, naming the engine."""
    return f"{ENGINE_FAILED}{engine_address()} failed: {detail}"


def removed_from_outside(exc: BaseException) -> bool:
    """Whether an API error says the container it was about is gone or going (404 No such
    container; 409 dead or marked for removal)."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    said = str(getattr(exc, "explanation", "") or "")
    return (status == 404 and "no such container" in said.lower()) or \
        (status == 409 and any(w in said for w in ("marked for removal", "is dead",
                                                   "removal of container")))


def stop_if_gone(client: Any, exc: Optional[BaseException]) -> None:
    """After a failed iteration: CellStopped when no iteration can follow it, because the
    engine no longer answers (later cells ask whether it is back) or because ``exc`` says the
    cell's container was removed by someone else."""
    try:
        client.ping()
    except Exception as gone:
        raise CellStopped(f"the Docker engine at {engine_address()} stopped answering "
                          f"({describe_error(gone)})", recheck=True) from None
    if exc is not None and removed_from_outside(exc):
        raise CellStopped(REMOVED_FROM_OUTSIDE) from None
