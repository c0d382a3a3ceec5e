"""Measuring: a plan's execution as a stream of events. ``prepare`` checks the runtimes and builds
what a run (or a scale run) needs, ``run.Run`` executes a plan cell by cell (``cell_run``), each
cell in a worker process (``worker``) that the controller drives through ``worker_link`` in the
typed messages of ``protocol``; ``overhead`` sets the harness's own cost beside hyperfine's."""
