"""``faasbench watch`` in the dashboard: a results file that is still growing, followed (here
or over SSH) by ``engine.remote.watch`` in a thread worker that posts ``EngineEvents``.

Leaving the dashboard only stops reading; the run being watched is never touched. How the run
ended, a file that stopped growing, a lost connection: each arrives as an event (RunFinished,
RunError) and shows in the event log.
"""

from __future__ import annotations

from typing import Optional

from textual.app import App
from textual.worker import get_current_worker

from engine.remote.fanout import Fanout, RemoteOptions
from engine.remote.watch import watch
from tui.messages import EngineEvents


class Watcher:
    def __init__(self, app: App, target: str, options: RemoteOptions) -> None:
        self.app, self.target, self.options = app, target, options
        self.fanout: Optional[Fanout] = None

    def start(self) -> None:
        self.fanout = watch(self.target, self.options)
        self.app.run_worker(self._pump, thread=True, exit_on_error=False, group="watch",
                            name=f"watch {self.target}")

    def stop(self) -> None:
        if self.fanout is not None:
            self.fanout.cancel()

    def _pump(self) -> None:
        assert self.fanout is not None
        worker = get_current_worker()
        for batch in self.fanout.batches():
            self.app.post_message(EngineEvents([event for _, event in batch]))
            if worker.is_cancelled:
                self.fanout.cancel()
