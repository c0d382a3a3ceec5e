"""What a scale pool and its pool server say to each other: typed messages, one JSON line each
(``engine.serial``), the same from Python's pool server and from node's (node_server.mjs pool).

The pool starts the server with a ``PoolSpec`` and reads ``Ready`` (or ``Refused``: the function
cannot load). It then sends ``Grow`` (more instances, answered ``Grown`` or ``Refused``) and
``Serve`` (one request on a slot, answered ``Answer``, which names the files the guest's output
went to). Several ``Serve`` may be in flight at once, on distinct slots.
"""

from __future__ import annotations

from typing import Optional, Union

from engine.runtimes.base import Job
from engine.serial import Record


class PoolSpec(Record):
    """What a pool server serves: the function (a warm-mode job) and how many requests at once."""

    runtime: str
    job: Job
    scratch: str
    """Where each slot's output files go (made and removed by the pool)."""
    concurrency: int


class Grow(Record, tag_field="op", tag="grow"):
    """``count`` more instances, each ready to run (instantiated)."""

    count: int


class Serve(Record, tag_field="op", tag="serve"):
    """Run the instance in ``slot`` once, then put a fresh one there."""

    slot: int


PoolRequest = Union[Grow, Serve]


class Ready(Record, tag_field="answer", tag="ready"):
    """The server is up with its function loaded."""


class Grown(Record, tag_field="answer", tag="grown"):
    """The instances are ready: ``slots`` in all."""

    slots: int


class Refused(Record, tag_field="answer", tag="refused"):
    """The server could not start, or could not add the instances; ``error`` says why."""

    error: str


class Answer(Record, tag_field="answer", tag="answer"):
    """What a request on ``slot`` did, and where its output is, to be checked."""

    slot: int
    exit_code: Optional[int]
    error: Optional[str]
    stdout: str
    stderr: str


PoolReply = Union[Ready, Grown, Refused, Answer]
