"""Scale: many warm instances of one function at once. ``scale_run.ScaleRun`` steps the
instances up (``density``) and sends bursts of requests (``burst``) to pools of them (``pools``:
a pool server process per embedded runtime, ``pool_server``, spoken to in the typed messages of
``messages``; one container per instance for Docker), measuring what they cost the machine
(``memory``)."""
