"""What goes wrong, as callers of the engine see it: one family of errors for bad input, each
message saying what is wrong and what to do, and the exit codes the command line reports (the
dashboard reads its child engine's with them)."""

from __future__ import annotations

EXIT_FAILED = 1
"""A run (or scale run) that started and had failures."""
EXIT_BAD_INPUT = 2
"""Bad input, or a request that cannot be met here: nothing was built or run."""
EXIT_CANCELLED = 130
"""A run stopped by Ctrl-C (or a question answered no), as a shell reports SIGINT."""


class BadInput(ValueError):
    """Bad user input; the message says what is wrong and what is valid, in one line."""


class PlanError(BadInput):
    """A plan or a scale spec that cannot run as asked (a name that does not exist, a count or
    size out of its range, a runtime that cannot run here)."""


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and its text with line breaks folded (engines
    such as wasmtime explain over several lines: "... Caused by: ...")."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())
