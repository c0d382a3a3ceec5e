"""One plan on several hosts at once, or the rest of an interrupted host run fetched.

Each host runs in its own coroutine on one asyncio loop in a background thread, so a slow or
failing host never holds up the others; ``events()`` hands on ``(host, event)`` pairs in
arrival order. ``local`` runs as a child ``faasbench run --plan - --json`` (what the dashboard
does); a remote host runs as a ``jobs.HostRun`` followed over SFTP. One results file per host.
"""

from __future__ import annotations

import asyncio
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from engine import paths
from engine.remote.follow import parse_events
from engine.remote.hosts import LOCAL, Host, parse_host
from engine.remote.jobs import CellTracker, Forwarder, HostRun, follow_job, host_run_of, launch
from engine.remote.ssh import HostError, connect, sftp_client
from engine.remote.survey import survey, usable_problem
from engine.spec.plan import Plan
from engine.store.events import Event, RunError, RunPlanned
from engine.store.results import ResultsNotWritten, ResultsWriter, read_events

if TYPE_CHECKING:
    import asyncssh

Emit = Callable[[Event], None]
STDERR_TAIL = 400


@dataclass(frozen=True)
class RemoteOptions:
    install: bool = False
    """Install this faasbench on a host that lacks it (or has an older one)."""
    accept_new_host_key: bool = False
    """Record an unknown host key in known_hosts (a changed one is still refused)."""
    remote_faasbench: Optional[str] = None
    """The faasbench to run on the hosts; default: the ``--install`` venv's, then PATH's."""


_STAMP = r"\d{8}-\d{6}-[0-9a-f]{6}"


def results_path(out_dir: Path, stamp: str, host: str) -> Path:
    return out_dir / f"run-{stamp}-{re.sub(r'[^A-Za-z0-9._-]+', '_', host)}.jsonl"


def host_files(folder: Path) -> dict[str, Path]:
    """The latest run on several hosts in ``folder`` (its files as ``results_path`` names
    them), by host name as its run_planned line gives it (``local`` for this machine)."""
    runs: dict[str, list[Path]] = {}
    for path in folder.glob("run-*.jsonl"):
        match = re.match(rf"run-({_STAMP})-", path.name)
        if match:
            runs.setdefault(match[1], []).append(path)
    if not runs:
        raise HostError(f"{folder} holds no run on several hosts (run-STAMP-ID-HOST.jsonl "
                        f"files, as `faasbench run --host ... --out {folder}` writes them)")
    latest = sorted(runs[max(runs)])
    hosts = {}
    for path in latest:
        job = host_run_of(read_events(path)[:1])
        hosts[job.host if job else LOCAL] = path
    return dict(sorted(hosts.items(), key=lambda kv: kv[0] != LOCAL))


class Fanout:
    """Runs one coroutine per host on a loop in a thread; ``events()`` yields what they emit."""

    def __init__(self) -> None:
        self.paths: dict[str, Path] = {}
        """Where each host's results are kept here."""
        self._jobs: list[tuple[str, Callable[[Emit], Awaitable[None]]]] = []
        self._queue: queue.Queue[Optional[tuple[str, Event]]] = queue.Queue()
        self._stop = threading.Event()
        self.cell_cancels = 0
        """How often the user asked to cancel the current cell (each host's is cancelled)."""
        self._wheel: Optional[asyncio.Future[Path]] = None
        self._scratch: Optional[str] = None

    def add(self, host: str, path: Path, job: Callable[[Emit], Awaitable[None]]) -> None:
        self.paths[host] = path
        self._jobs.append((host, job))

    def cancel(self) -> None:
        """Ask every host to stop; each keeps what it measured and ends its file properly."""
        self._stop.set()

    def cancel_cell(self) -> None:
        self.cell_cancels += 1

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def events(self) -> Iterator[tuple[str, Event]]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[tuple[str, Event]]]:
        """What has arrived, whenever something has: a fast host costs one batch per wait
        rather than one hand-over per event (the dashboard posts a message per batch)."""
        thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        thread.start()
        done = False
        while not done:
            batch = [self._queue.get()]
            while not self._queue.empty() and batch[-1] is not None:
                batch.append(self._queue.get_nowait())
            done = batch[-1] is None
            items = [item for item in batch if item is not None]
            if items:
                yield items
        thread.join()

    async def wheel(self) -> Path:
        """This machine's wheel for ``--install``, made once however many hosts need it,
        in a folder of this run's own (removed at the end)."""
        if self._wheel is None:
            from engine.remote.install import local_wheel

            self._scratch = tempfile.mkdtemp(prefix="faasbench-wheel-")
            self._wheel = asyncio.ensure_future(
                asyncio.to_thread(local_wheel, Path(self._scratch)))
        return await self._wheel

    async def _main(self) -> None:
        async def one(host: str, job: Callable[[Emit], Awaitable[None]]) -> None:
            def emit(event: Event) -> None:
                self._queue.put((host, event))

            try:
                await job(emit)
            except HostError as exc:
                emit(RunError(str(exc)))
            except Exception as exc:  # one host's surprise must not stop the others
                emit(RunError(f"{host}: {type(exc).__name__}: {exc}"))

        try:
            await asyncio.gather(*(one(host, job) for host, job in self._jobs))
        finally:
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
            self._queue.put(None)


def run_on_hosts(hosts: list[Host], plan: Plan, options: RemoteOptions,
                 out_dir: Optional[Path] = None) -> Fanout:
    """A Fanout running ``plan`` on every host; iterate its ``events()`` to run it."""
    fanout = Fanout()
    stamp = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    out_dir = out_dir or paths.data_dir() / "results"
    for host in hosts:
        path = results_path(out_dir, stamp, host.name)
        if host.is_local:
            fanout.add(host.name, path, lambda emit, p=path: _run_local(plan, p, emit, fanout))
        else:
            fanout.add(host.name, path,
                       lambda emit, h=host, p=path: _run_remote(h, plan, p, options, emit,
                                                                fanout))
    return fanout


def resume(path: Path, options: RemoteOptions) -> Fanout:
    """Fetch what a host run wrote since its connection dropped (and follow it to its end);
    the local copy is rewritten from the host's file, which holds everything."""
    job = host_run_of(read_events(path))
    if job is None:
        raise HostError(f"{path} is not the results of a run on a remote host (its first line "
                        f"names no host run); nothing to resume")
    fanout = Fanout()
    fanout.add(job.host, path, lambda emit: _fetch(parse_host(job.host), job, path, options,
                                                   emit, fanout))
    return fanout


async def _run_local(plan: Plan, path: Path, emit: Emit, fanout: Fanout) -> None:
    """This machine, through a child engine (the child writes the results file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "faasbench", "run", "--plan", "-", "--json", "--out", str(path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(plan.to_json().encode())
    proc.stdin.close()
    tracker = CellTracker()
    stderr = asyncio.ensure_future(proc.stderr.read())
    forward = Forwarder(fanout)
    while True:
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), 0.5)
        except asyncio.TimeoutError:
            line = None
        for signum in forward.due():
            proc.send_signal(signum)
        if line == b"":
            break
        for event in parse_events(line or b""):
            tracker.see(event)
            emit(event)
    code = await proc.wait()
    if not tracker.finished:
        tail = (await stderr).decode(errors="replace").strip()[-STDERR_TAIL:]
        for event in tracker.broken(f"local: the engine ended with exit code {code}: {tail}"):
            emit(event)


async def _run_remote(host: Host, plan: Plan, path: Path, options: RemoteOptions, emit: Emit,
                      fanout: Fanout) -> None:
    conn = await connect(host, options.accept_new_host_key)
    async with conn:
        info = await survey(conn, host.name, options.remote_faasbench)
        problem = usable_problem(info, host.name)
        if problem and not options.install:
            raise HostError(problem)
        if problem:
            from engine.remote.install import install

            info = await install(conn, info, host.name, await fanout.wheel())
        job = await launch(conn, host.name, info, plan)
        await _keep(conn, job, path, emit, fanout)


async def _fetch(host: Host, job: HostRun, path: Path, options: RemoteOptions, emit: Emit,
                 fanout: Fanout) -> None:
    conn = await connect(host, options.accept_new_host_key)
    async with conn:
        async with sftp_client(conn, job.host) as sftp:
            if not await sftp.exists(job.results):
                raise HostError(f"{job.host}: {job.results} is not there any more; {path} "
                                f"keeps what was received")
        path.unlink()  # the host's file holds all of it, and what came after
        await _keep(conn, job, path, emit, fanout)


async def _keep(conn: asyncssh.SSHClientConnection, job: HostRun, path: Path, emit: Emit,
                fanout: Fanout) -> None:
    """Follow the job from the start of its file, writing its events to ``path`` once the run
    there began: a refusal before its plan (or a connection lost before it) is shown, not
    kept, so it leaves no file that history would list and resume could not use."""
    writer = ResultsWriter(path)
    began = False

    def keep(event: Event) -> None:
        nonlocal began
        began = began or isinstance(event, RunPlanned)
        if began:
            try:
                writer.write(event)
            except ResultsNotWritten as exc:  # the host's own file goes on growing
                then = (f"`faasbench run --resume {path}` fetches it once there is space"
                        if path.exists() else f"`faasbench watch {job.host}` follows it")
                raise HostError(f"{job.host}: this machine's copy of its results stopped at "
                                f"{exc.samples} samples ({exc.reason}: {path}); the run goes on "
                                f"there, and {then}") from None
        emit(event)

    try:
        await follow_job(conn, job, keep, fanout,
                         f"`faasbench run --resume {path}` fetches what it writes")
    finally:
        writer.close()
