"""One cold sample of an embedded engine: a fresh Python process that starts the engine, loads
the function, runs it once, writes a ``RequestReport`` to stdout and exits.

    python -m engine.runtimes.fresh_process MODULE:CLASS JOB_FILE

``MODULE:CLASS`` is the runtime (an ``EmbeddedRuntime``), named so this process imports only
its module; the job file is the cell's ``Job``. Everything this process imports is part of the
cold start it measures, so it imports as little as it can.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path

from engine import serial
from engine.errors import one_line
from engine.runtimes.base import Invocation, Job
from engine.runtimes.request_report import RequestReport


def main(runtime: str, job_file: str) -> None:
    """Load, run once, print the report, exit hard."""
    main_ns = time.perf_counter_ns()
    module, _, name = runtime.partition(":")
    job = serial.decode(Path(job_file).read_bytes(), Job)
    embedder = getattr(importlib.import_module(module), name).embedder_class(job)
    try:
        embedder.start()
        embedder.load()
        loaded_ns = time.perf_counter_ns()
        inv = embedder.run()
    except Exception as exc:  # report any engine failure as the sample's reason
        loaded_ns = time.perf_counter_ns()
        inv = Invocation(wall_ns=0, exit_code=None, error=one_line(exc))
    report = RequestReport(inv.exit_code, inv.error,
                           {"load": loaded_ns - main_ns, **inv.phases_ns}, main_ns=main_ns,
                           done_ns=time.perf_counter_ns(), fuel=inv.fuel,
                           guest_memory_bytes=inv.guest_memory_bytes)
    sys.stdout.buffer.write(report.to_json())
    sys.stdout.flush()
    # os._exit skips interpreter teardown: faster, and wasmer-sdk can abort during teardown.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
