"""``faasbench``: the command line. Parsing and dispatch only; the views live beside it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Optional

from .. import benchmarks, runtimes
from ..plan import MODES, PlanError
from ..toolchain import OPT_LEVELS

EXIT_BAD_INPUT = 2


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--opt", default="O2", choices=OPT_LEVELS,
                        help="optimisation level for both wasm and native (default O2)")
    parser.add_argument("--native-cpu", default="native", choices=("native", "baseline"),
                        help="native: host CPU like the wasm JITs (default); baseline: portable")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="faasbench",
        description="Measure WebAssembly runtimes against native processes (and Docker) on "
                    "the FaaS study's benchmarks, with verified outputs.")
    sub = top.add_subparsers(dest="command")

    doctor = sub.add_parser("doctor", help="what can run here, with reasons and fixes")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")

    build = sub.add_parser("build", help="compile every benchmark to wasm and native")
    _add_build_options(build)

    run = sub.add_parser("run", help="run benchmarks on runtimes and record the results")
    run.add_argument("--runtimes", type=_csv, default=["native", "wasmtime"],
                     help=f"comma-separated; known: {','.join(runtimes.names())}")
    run.add_argument("--benchmarks", type=_csv, default=list(benchmarks.BENCHMARKS),
                     help=f"comma-separated; known: {','.join(benchmarks.BENCHMARKS)}")
    run.add_argument("--preset", default="quick",
                     help=f"sizes and iterations: {', '.join(benchmarks.PRESETS)} (default quick)")
    run.add_argument("--iterations", type=int, help="measured iterations per cell (1..100000)")
    run.add_argument("--warmup", type=int,
                     help="unmeasured iterations first (default: 1 in warm mode, 0 in cold)")
    run.add_argument("--mode", type=_csv, default=["cold"],
                     help=f"start mode(s), comma-separated: {', '.join(MODES)} (default cold)")
    run.add_argument("--size", action="append", default=[], metavar="BENCH=N",
                     help="override one benchmark's size (repeatable)")
    run.add_argument("--timeout", type=float, default=300.0,
                     help="per-iteration timeout in seconds (default 300)")
    run.add_argument("--fuel", action="store_true",
                     help="count wasm fuel per invocation (slower; recorded in the results)")
    run.add_argument("--out", help="results file (JSONL); default: a new file in the data dir")
    run.add_argument("--json", action="store_true", help="stream events as JSON lines to stdout")
    _add_build_options(run)
    return top


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "doctor":
            from .doctor_view import show_doctor

            return show_doctor(as_json=args.json)
        if args.command == "build":
            from .build_view import show_build

            return show_build(args.opt, args.native_cpu)
        if args.command == "run":
            from .run_view import run_command

            return run_command(args)
    except PlanError as exc:
        print(f"faasbench: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    parser().print_help()
    return EXIT_BAD_INPUT
