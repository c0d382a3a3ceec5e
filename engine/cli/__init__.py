"""``faasbench``: the command line. Parsing and dispatch only; the views live beside it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Optional

from .. import benchmarks, runtimes
from ..plan import MODES, PlanError
from ..toolchain import OPT_LEVELS
from .docker_view import DEFAULT_MIRROR, parse_bytes

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

    sub.add_parser("tui", help="open the dashboard (also what plain `faasbench` does)")
    doctor = sub.add_parser("doctor", help="what can run here, with reasons and fixes")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")

    build = sub.add_parser("build", help="compile every benchmark to wasm and native")
    _add_build_options(build)

    overhead = sub.add_parser("overhead", help="faasbench's own overhead next to hyperfine's")
    overhead.add_argument("--runs", type=int, default=200, help="iterations for each (1..100000)")

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
    run.add_argument("--docker-base", metavar="IMAGE",
                     help="run Docker's binary on this local base image instead of FROM scratch")
    run.add_argument("--container-memory", type=parse_bytes, default="2g", metavar="SIZE",
                     help="Docker memory limit per container, e.g. 512m (default 2g)")
    run.add_argument("--pids-limit", type=int, default=64,
                     help="Docker pids limit per container (default 64)")
    _add_build_options(run)

    clean = sub.add_parser("clean", help="remove leftover faasbench containers (and images)")
    clean.add_argument("--images", action="store_true", help="also remove faasbench images")

    base = sub.add_parser("docker-base", help="build a minimal Debian base image (debootstrap)")
    base.add_argument("--suite", default="bookworm", help="Debian suite (default bookworm)")
    base.add_argument("--mirror", default=DEFAULT_MIRROR, help=f"default {DEFAULT_MIRROR}")
    base.add_argument("--rebuild", action="store_true", help="rebuild even if cached")
    return top


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "tui" or (args.command is None and sys.stdout.isatty()):
        from tui.app import main as dashboard  # lazy: the engine never imports Textual

        return dashboard()
    try:
        if args.command == "doctor":
            from .doctor_view import show_doctor

            return show_doctor(as_json=args.json)
        if args.command == "build":
            from .build_view import show_build

            return show_build(args.opt, args.native_cpu)
        if args.command == "overhead":
            from .overhead_view import show_overhead

            return show_overhead(args.runs)
        if args.command == "run":
            from .run_view import run_command

            return run_command(args)
        if args.command in ("clean", "docker-base"):
            from .docker_view import clean_command, docker_base_command

            return (clean_command if args.command == "clean" else docker_base_command)(args)
    except PlanError as exc:
        print(f"faasbench: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    parser().print_help()
    return EXIT_BAD_INPUT
