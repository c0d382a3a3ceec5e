"""What a cold Docker sample needs beside its ``docker run``: the environment the docker CLI is
given, and the engine's own stamps of the container's life (create, start, die, destroy), read
from the events API after the iteration, which split the CLI's wall time into phases."""

from __future__ import annotations

import os
import time
from typing import Any

from engine.runtimes.docker.engine_client import engine_address

CLI_VARIABLES = ("HOME", "DOCKER_CONFIG", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY")
"""The worker's variables the docker CLI is given (its own configuration); DOCKER_HOST is set
to the engine faasbench talks to."""
CLI_EVENTS = ("create", "start", "die", "destroy")
CLI_PHASES = ("cli-create", "cli-start", "cli-run", "cli-remove", "cli-exit")
"""Cold phases: the CLI's spawn, the CLI_EVENTS stamps and the CLI's exit, in this order."""


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in CLI_VARIABLES}
    env["DOCKER_HOST"] = engine_address()
    return env


def event_stamps(client: Any, label: str, since: float) -> dict[str, int]:
    """When the engine created, started, saw the exit of and destroyed the container carrying
    ``label`` (key=value): its own stamps (wall clock, ns), after the fact."""
    stamps: dict[str, int] = {}
    for event in client.events(since=f"{since - 1:.9f}", until=f"{time.time():.9f}",
                               decode=True, filters={"type": "container", "label": label}):
        stamps.setdefault(event.get("Action", ""), int(event.get("timeNano", 0)))
    return stamps


def cli_phases(started_ns: int, ended_ns: int, stamps: dict[str, int],
               to_monotonic: int) -> dict[str, int]:
    """The CLI's wall time (``perf_counter_ns`` stamps) split at the engine's stamps (wall
    clock, ``to_monotonic`` apart); none when a stamp is missing or the clock stepped."""
    if not all(a in stamps for a in CLI_EVENTS):
        return {}
    marks = [started_ns, *(stamps[a] - to_monotonic for a in CLI_EVENTS), ended_ns]
    if not all(a <= b for a, b in zip(marks, marks[1:])):
        return {}
    return {name: b - a for name, a, b in zip(CLI_PHASES, marks, marks[1:])}
