"""Ctrl-C and SIGUSR1 for the long commands (run, run --host, scale, watch): the first Ctrl-C
asks the work to stop cleanly and says what happens; a second one aborts at once."""

from __future__ import annotations

import signal
from typing import Any, Callable, Optional


def install_interrupt(cancel: Callable[[], None], say: Callable[[str], None], message: str,
                      cancel_cell: Optional[Callable[[], None]] = None) -> None:
    """SIGINT calls ``cancel`` once (after ``say``-ing ``message``), then aborts as usual;
    SIGUSR1, when ``cancel_cell`` is given, cancels the current cell only."""
    def handler(signum: int, frame: Any) -> None:
        say(f"[yellow]{message}[/]")
        signal.signal(signal.SIGINT, signal.default_int_handler)
        cancel()

    signal.signal(signal.SIGINT, handler)
    if cancel_cell is not None:
        signal.signal(signal.SIGUSR1, lambda signum, frame: cancel_cell())
