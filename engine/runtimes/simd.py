"""Can a runtime run WebAssembly SIMD (simd128) modules? Asked the only honest way: by running one.

``PROBE`` is the smallest WASI command that uses simd128 as our programs do (``_start`` makes a
``v128.const``, converts its low lanes with ``f64x2.convert_low_i32x4_u`` (the vector
mandelbrot needs it; wasmer 1.1 cannot compile it) and drops the result; a memory is exported
because WASI hosts require one). Each WebAssembly runtime runs
it through its own ``prepare``/``invoke`` in a child process, so an engine that aborts on an
unknown instruction costs the probe, not the caller. Answers are cached on disk per runtime
and version: a profile with SIMD asks before every run.
"""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

from engine import paths
from engine.errors import one_line
from engine.files import write_atomic
from engine.runtimes.base import Job
from engine.runtimes.process import tail
from engine.spec.benchmarks import GUEST_DIR
from engine.spec.options import RunOptions

PROBE = bytes.fromhex(
    "0061736d01000000"                                 # magic, version 1
    "010401600000"                                     # type 0: () -> ()
    "03020100"                                         # function 0 has type 0
    "0503010001"                                       # one memory of one page
    "071302065f73746172740000066d656d6f72790200"       # exports "_start" (func 0), "memory"
    "0a1a0118" "00"                                    # code: one body, no locals:
    "fd0c" + "00" * 16 +                               #   v128.const 0
    "fdff01" "1a0b")                                   #   f64x2.convert_low_i32x4_u; drop; end
OK = "ok"


def simd_problem(name: str, version: str) -> Optional[str]:
    """None when runtime ``name`` (at ``version``) runs simd128 modules or runs no WebAssembly;
    otherwise why it cannot, in one line."""
    from engine.runtimes import get

    if get(name).artifact_target != "wasm":
        return None
    digest = hashlib.sha256(f"{name}\0{version}".encode() + PROBE).hexdigest()[:16]
    cached = paths.cache_dir() / "simd" / f"{name}-{digest}.txt"
    if cached.exists():
        answer = cached.read_text()
    else:
        proc = subprocess.run([sys.executable, "-m", "engine.runtimes.simd", name],
                              capture_output=True, text=True, timeout=300)
        answer = proc.stdout.strip() or \
            f"the probe process failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
        if proc.returncode == 0:
            write_atomic(cached, answer)
    return None if answer == OK else answer


def _probe(name: str) -> str:
    """Child side: run PROBE once with the runtime; ``ok`` or why not."""
    from engine.runtimes import get

    with tempfile.TemporaryDirectory() as tmp:
        module = Path(tmp) / "simd-probe.wasm"
        module.write_bytes(PROBE)
        job = Job("simd-probe", str(module), ["simd-probe"], tmp, GUEST_DIR, "warm",
                  "simd-probe", RunOptions(timeout_s=60), f"{tmp}/stdout", f"{tmp}/stderr")
        runtime = get(name)(job)
        try:
            runtime.prepare()
            inv = runtime.invoke()
        except Exception as exc:  # the engine refused the module: that is the answer
            return f"it cannot load a simd128 module: {one_line(exc)}"
        finally:
            with contextlib.suppress(Exception):  # after a failed prepare: nothing to release
                runtime.close()
        if inv.error is not None or inv.exit_code != 0:
            why = inv.error or f"exit code {inv.exit_code}"
            return f"it cannot run a simd128 module: {why} {tail(job.stderr_path)}".strip()
    return OK


if __name__ == "__main__":
    print(_probe(sys.argv[1]))
