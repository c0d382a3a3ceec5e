"""The words of faasbench's data, each declared once as a ``Literal`` with what it means: start
modes, build targets, runtime kinds, phases, cell and run statuses, verdicts and note levels.
Records that cross a process or a file are typed with them (``engine.serial`` checks them as
they are read); tables and the dashboard show them as they are."""

from __future__ import annotations

from typing import Literal, get_args

Mode = Literal["cold", "load", "warm"]
MODES: tuple[Mode, ...] = get_args(Mode)
MODE_MEANINGS: dict[Mode, str] = {
    "cold": "a new OS process per request starts the runtime and runs the function, as the "
            "study timed it (native: the program; CLI runtimes: the CLI; embedded engines: a "
            "fresh python or node process, labelled so; Docker: docker run --rm)",
    "load": "the server is already running; each request loads the function (read, compile or "
            "deserialise, instantiate, run), as on a function's first request (Docker: create, "
            "start, wait, remove through the API; native and CLIs: the same as cold)",
    "warm": "the loaded function (or running container) is kept; each request gets a fresh "
            "instance (Docker: the launcher inside the running container forks the program)",
}
"""What each start mode means, the same for every runtime (shown by --help and the dashboard)."""

Target = Literal["wasm", "native"]
"""What a program is compiled for: WebAssembly (WASI) or this machine (a static binary)."""
TARGETS: tuple[Target, ...] = get_args(Target)

RuntimeKind = Literal["native", "wasm", "container"]
"""Which side of the comparison a runtime is on."""

Phase = Literal[
    "start",
    "load",
    "compile",
    "instantiate",
    "execute",
    "exit",
    "teardown",
    "sandbox",
    "run",
    "create",
    "wait",
    "logs",
    "remove",
    "exec",
    "inspect",
    "cli-create",
    "cli-start",
    "cli-run",
    "cli-remove",
    "cli-exit",
    "dispatch",
    "program",
    "reply",
]

PHASES: dict[Phase, str] = {
    "start": "a fresh process, from its spawn until its own code runs (python, node)",
    "load": "making the function runnable: reading and deserialising (or compiling) it; in a "
            "fresh process also importing and configuring the engine",
    "compile": "compiling the module to machine code",
    "instantiate": "a fresh instance with its WASI context",
    "execute": "the guest's _start, to its exit",
    "exit": "from the guest's end to the fresh process's exit",
    "teardown": "wasmtime in a server: deleting the request's store, which frees its "
                "instance or returns its slot to the pool (a process's request likewise ends "
                "when it has exited)",
    "sandbox": "wasmer-sdk: a fresh sandbox holding the package and the data files",
    "run": "wasmer-sdk: the command in the sandbox (compiling on first use, instantiate, execute)",
    "create": "Docker load: creating the container; docker-exec warm: the exec instance",
    "wait": "Docker load: from start until the container exited",
    "logs": "Docker load: collecting the container's output",
    "remove": "Docker load: removing the container",
    "exec": "docker-exec warm: running the exec instance to its end, with its output",
    "inspect": "docker-exec warm: reading the exec instance's exit code",
    "cli-create": "Docker cold (`docker run --rm`): from the CLI's spawn to the engine's create "
                  "event (the CLI's own start, then creating the container)",
    "cli-start": "Docker cold: from the create event to the start event (attaching to and "
                 "starting the container)",
    "cli-run": "Docker cold: from the start event to the die event (the program, to its exit)",
    "cli-remove": "Docker cold: from the die event to the destroy event (--rm removes it)",
    "cli-exit": "Docker cold: from the destroy event until the docker CLI process has exited",
    "dispatch": "Docker warm: from writing the request to the launcher in the container until "
                "it forks the program (waking it, truncating the output files)",
    "program": "Docker warm: the program, from the launcher's fork to its wait4 (the "
               "launcher's own stamps)",
    "reply": "Docker warm: from the program's end until the launcher's report was read",
}
"""Every phase name a runtime may report, with what it covers. Runtimes report the ones they
really have; wall time is always measured around the whole iteration."""

CellStatus = Literal["queued", "running", "done", "cancelled", "skipped", "failed", "same"]
"""A cell as a run goes: planned, measuring, then how it ended (``same``: its runtime has no such
mode, and another mode of it stands in)."""
FINISHED_STATUSES: tuple[CellStatus, ...] = ("done", "cancelled", "skipped", "failed", "same")

RunStatus = Literal["finished", "cancelled", "cut off"]
"""A recorded run: every run in its file ended, one was cancelled, or one has no closing line
(killed, or still running)."""

VerdictWord = Literal["holds", "does not hold", "no clear verdict", "not measured"]
"""A claim judged on measurements: its interval is wholly on the claimed side, wholly on the
other, straddles the threshold, or the run cannot judge it."""
HOLDS: VerdictWord = "holds"
FAILS: VerdictWord = "does not hold"
UNCLEAR: VerdictWord = "no clear verdict"
NOT_MEASURED: VerdictWord = "not measured"

NoteLevel = Literal["info", "warning", "failure", "damaged"]
"""A line for the event log: news, something to know (a runtime skipped, a cell cancelled), a
failure (a sample, a cell), or a results file that did not read whole."""
