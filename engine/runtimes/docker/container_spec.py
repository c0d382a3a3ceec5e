"""One container as faasbench runs it, said once: the hardened settings every benchmark
container gets, yielding both the Docker API's arguments (load and warm) and the ``docker run``
command line (cold), so the two paths cannot drift apart.

Hardening: no network, a read-only root, no capabilities, no new privileges, nobody:nogroup,
memory (and swap) and pids limits, the benchmark's data directory read-only; any other mount is
named by the caller (the launcher read-only, a warm container's I/O directory writable). The
``local`` log driver keeps output bytes exact (``json-file`` mangles binary output).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Optional

USER = "65534:65534"
LOG_OPTIONS = {"max-size": "1g", "compress": "false"}
LOG_DRIVER = "local"


@dataclass(frozen=True)
class ContainerSpec:
    """What one container runs, what it may see and what it may use."""

    image: str
    command: list[str]
    """The arguments after the entrypoint."""
    data_dir: tuple[str, str]
    """(host directory, where the guest sees it), mounted read-only."""
    memory_bytes: int
    pids_limit: int
    labels: dict[str, str] = field(default_factory=dict)
    entrypoint: Optional[str] = None
    """None: the image's own (the program, as for anyone typing ``docker run IMAGE``)."""
    read_only: dict[str, str] = field(default_factory=dict)
    """More host paths mounted read-only (host: guest)."""
    writable: dict[str, str] = field(default_factory=dict)
    """Host paths mounted read-write (host: guest): the one place a guest may write."""
    cpuset: Optional[str] = None
    cgroup_parent: Optional[str] = None

    def labelled(self, **labels: str) -> ContainerSpec:
        """The same container with more labels."""
        return replace(self, labels={**self.labels, **labels})

    def _mounts(self) -> list[tuple[str, str, str]]:
        host, guest = self.data_dir
        return [(host, guest, "ro"), *((h, g, "ro") for h, g in self.read_only.items()),
                *((h, g, "rw") for h, g in self.writable.items())]

    def api_arguments(self, client: Any) -> dict[str, Any]:
        """``client.create_container``'s keyword arguments (a docker-py ``APIClient``)."""
        host_config = client.create_host_config(
            binds={host: {"bind": guest, "mode": mode} for host, guest, mode in self._mounts()},
            network_mode="none", read_only=True, cap_drop=["ALL"],
            security_opt=["no-new-privileges"], mem_limit=self.memory_bytes,
            memswap_limit=self.memory_bytes, pids_limit=self.pids_limit,
            cpuset_cpus=self.cpuset, cgroup_parent=self.cgroup_parent,
            log_config={"Type": LOG_DRIVER, "Config": LOG_OPTIONS})
        return {"image": self.image, "command": self.command, "user": USER,
                "labels": self.labels, "network_disabled": True, "host_config": host_config,
                **({"entrypoint": [self.entrypoint]} if self.entrypoint else {})}

    def run_argv(self) -> list[str]:
        """``docker run --rm`` with the same settings, for the docker CLI."""
        memory = str(self.memory_bytes)
        return ["run", "--rm", "--network=none", "--read-only", "--cap-drop=ALL",
                "--security-opt=no-new-privileges", f"--user={USER}", f"--memory={memory}",
                f"--memory-swap={memory}", f"--pids-limit={self.pids_limit}",
                *(f"--volume={host}:{guest}:{mode}" for host, guest, mode in self._mounts()),
                f"--log-driver={LOG_DRIVER}",
                *(f"--log-opt={k}={v}" for k, v in LOG_OPTIONS.items()),
                *(f"--label={k}={v}" for k, v in self.labels.items()),
                *([f"--cgroup-parent={self.cgroup_parent}"] if self.cgroup_parent else []),
                *([f"--cpuset-cpus={self.cpuset}"] if self.cpuset else []),
                *([f"--entrypoint={self.entrypoint}"] if self.entrypoint else []),
                self.image, *self.command]
