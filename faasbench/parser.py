"""The command line's grammar: every command and flag, with defaults shown from the engine's own
declarations. A command's flags are added when that command is parsed or its help is shown, so
``faasbench --help`` and a typo in a command's name import none of the engine's records (nor
msgspec beneath them), and no command imports anything heavy (rich, docker, wasmtime, textual,
psutil) to parse its flags."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any, Callable, NoReturn, Optional

from engine.errors import EXIT_BAD_INPUT

REMOTE_FAASBENCH_VARIABLE = "FAASBENCH_REMOTE_FAASBENCH"
"""The faasbench to run on hosts, when --remote-faasbench does not say (the dashboard's runs)."""


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _argument_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A parser whose ValueError message argparse shows as it is."""
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    from engine.build.toolchain import LIBCS, OPT_LEVELS, PROFILES, BuildFlags

    flags = BuildFlags()
    parser.add_argument("--opt", choices=OPT_LEVELS,
                        help=f"optimisation level for both wasm and native "
                             f"(default {flags.opt_level})")
    parser.add_argument("--profile", choices=list(PROFILES),
                        help="what each side is compiled for: "
                             + "; ".join(f"{name}: {p.meaning}" for name, p in PROFILES.items())
                             + f" (default {flags.profile})")
    parser.add_argument("--native-libc", choices=list(LIBCS),
                        help="the native build's C library: "
                             + "; ".join(f"{name}: {meaning}" for name, meaning in LIBCS.items())
                             + f" (default {flags.libc})")


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """One flag per RunOptions field, its default shown from the dataclass."""
    from engine.spec.options import FLAGS, RunOptions

    defaults = RunOptions()
    for flag in FLAGS:
        default = getattr(defaults, flag.field)
        if flag.parse is None:
            parser.add_argument(flag.flag, dest=flag.field, action="store_const", const=True,
                                help=flag.help)
        else:
            shown = "none" if default is None else default
            parser.add_argument(flag.flag, dest=flag.field, type=_argument_type(flag.parse),
                                metavar=flag.metavar, help=f"{flag.help} (default {shown})")


class _Parser(argparse.ArgumentParser):
    """Bad input gets one line (what is wrong, and where help is) and exit status 2. A
    command's parser is given its flags (``arguments``) the first time it parses or shows help:
    building them reads the engine's declarations, which only that command needs."""

    def __init__(self, *args: Any,
                 arguments: Optional[Callable[[argparse.ArgumentParser], None]] = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._arguments = arguments

    def _complete(self) -> None:
        if self._arguments is not None:
            add, self._arguments = self._arguments, None
            add(self)

    def parse_known_args(self, args: Optional[Sequence[str]] = None,
                         namespace: Optional[argparse.Namespace] = None) -> Any:
        self._complete()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self._complete()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="faasbench",
        description="Measure WebAssembly runtimes against native processes (and Docker) on "
                    "the FaaS study's benchmarks, with verified outputs.")
    top.add_argument("--version", action=_Version, help="show faasbench's version and exit")
    sub = top.add_subparsers(dest="command")

    sub.add_parser("tui", help="open the dashboard (also what plain `faasbench` does)")
    doctor = sub.add_parser("doctor", help="what can run here, with reasons and fixes")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument("--host", metavar="USER@HOST[:PORT]",
                        help="check a remote host over SSH instead of this machine")
    _add_ssh_options(doctor)

    sub.add_parser("build", help="compile every benchmark to wasm and native",
                   arguments=_add_build_options)

    overhead = sub.add_parser("overhead", help="faasbench's own overhead next to hyperfine's")
    overhead.add_argument("--runs", type=int, default=200, help="iterations for each (1..100000)")

    sub.add_parser("run", help="run benchmarks on runtimes and record the results",
                   arguments=_add_run_arguments)

    watch = sub.add_parser("watch", help="follow a run in progress in the dashboard")
    watch.add_argument("target", metavar="RESULTS | USER@HOST:RESULTS | USER@HOST",
                       help="a results file here or on a host (a bare host: its latest run)")
    watch.add_argument("--plain", action="store_true",
                       help="print the events as lines instead of opening the dashboard")
    _add_ssh_options(watch)

    serve = sub.add_parser("serve", help="serve the dashboard to a web browser (textual-serve)")
    serve.add_argument("--bind", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_argument_type(_port), default=8000,
                       help="port, 1..65535 (default 8000)")

    sub.add_parser("scale", help="how many warm instances fit here, what a burst of requests "
                                 "costs (density and latency)", arguments=_add_scale_arguments)
    report = sub.add_parser("report", help="a recorded run as tables, its claims, or exports")
    report.add_argument("run", metavar="RUN",
                        help="a run id, a unique prefix of one, a results file (JSONL), or "
                             "the --out folder of a run on several hosts")
    report.add_argument("--format", choices=("text", "md", "csv", "json"), default="text",
                        help="text (default), md (Markdown), csv (one row per sample), json")
    report.add_argument("--claims", action="store_true",
                        help="the study's claims, each with this run's figure and a verdict")
    report.add_argument("--export-hyperfine", metavar="FILE",
                        help="also write the run in hyperfine's JSON export layout")
    report.add_argument("--cost", action="store_true",
                        help="cost per million invocations: GB-seconds, CPU-time and fuel "
                             "billing, and what a short function is billed but does not use")
    report.add_argument("--price-model", metavar="FILE",
                        help="prices for --cost and claim (g) (TOML; default: the shipped "
                             "price lists, each named with its date)")
    report.add_argument("--scale", metavar="RUN",
                        help="the faasbench scale run claim (f) rests on (default: the latest)")

    history = sub.add_parser("history", help="the runs kept in the data dir, newest first")
    history.add_argument("--json", action="store_true", help="machine-readable output")
    compare = sub.add_parser("compare", help="the change per cell from run A to run B")
    for name in ("run_a", "run_b"):
        compare.add_argument(name, metavar=name.upper(),
                             help="a run id, a unique prefix of one, or a results file")

    clean = sub.add_parser("clean", help="remove what runs that are over left behind "
                                         "(containers, scratch folders; and images)")
    clean.add_argument("--images", action="store_true",
                       help="also remove faasbench images (but those runs still going use)")
    clean.add_argument("--force", action="store_true",
                       help="also remove the containers of runs still going (those cells "
                            "stop)")

    base = sub.add_parser("docker-base", help="build a minimal Debian base image (debootstrap)")
    base.add_argument("--suite", default="bookworm", help="Debian suite (default bookworm)")
    base.add_argument("--mirror", help="Debian mirror (default deb.debian.org)")
    base.add_argument("--rebuild", action="store_true", help="rebuild even if cached")
    return top


def _add_run_arguments(run: argparse.ArgumentParser) -> None:
    from engine import runtimes
    from engine.spec import benchmarks
    from engine.spec.options import DEFAULT_MODES, DEFAULT_RUNTIMES
    from engine.terms import MODES

    run.add_argument("--plan", metavar="FILE",
                     help="run exactly this plan (JSON, as the results' run_planned line holds "
                          "it; - reads stdin) instead of the options below")
    run.add_argument("--runtimes", type=_csv,
                     help=f"comma-separated (default {','.join(DEFAULT_RUNTIMES)}); built in: "
                          f"{','.join(runtimes.builtin_names())}, and any in runtimes.toml "
                          "(faasbench doctor lists them all)")
    run.add_argument("--benchmarks", type=_csv,
                     help=f"comma-separated (default all): {','.join(benchmarks.BENCHMARKS)}")
    run.add_argument("--preset",
                     help=f"sizes and iterations: {', '.join(benchmarks.PRESETS)} (default "
                          f"{benchmarks.PRESETS[0]})")
    run.add_argument("--iterations", type=int, help="measured iterations per cell (1..100000)")
    run.add_argument("--warmup", type=int,
                     help="unmeasured iterations first (default: 1 in warm mode, 0 in cold)")
    run.add_argument("--mode", type=_csv,
                     help=f"start mode(s), comma-separated: {', '.join(MODES)} "
                          f"(default {','.join(DEFAULT_MODES)})")
    run.add_argument("--size", action="append", metavar="BENCH=N",
                     help="override one benchmark's size (repeatable)")
    _add_run_options(run)
    run.add_argument("--out", help="results file (JSONL); default: a new file in the data dir")
    run.add_argument("--json", action="store_true", help="stream events as JSON lines to stdout")
    run.add_argument("--yes", action="store_true",
                     help="start a long preset (paper) without asking; without a terminal "
                          "nobody is asked")
    _add_build_options(run)
    run.add_argument("--host", action="append", metavar="USER@HOST[:PORT]",
                     help="run on this host over SSH ('local' is this machine); repeatable: "
                          "the hosts run at once, one results file each (--out: their folder)")
    run.add_argument("--install", action="store_true",
                     help="install this faasbench on a host that lacks it or has an older one")
    run.add_argument("--resume", metavar="RESULTS",
                     help="fetch what a host run wrote after its connection dropped, and "
                          "follow it to its end")
    _add_ssh_options(run)


def _add_scale_arguments(scale: argparse.ArgumentParser) -> None:
    from engine.spec import benchmarks
    from engine.spec.options import parse_bytes
    from engine.spec.scale_spec import SCALE_RUNTIMES, ScaleSpec

    spec = ScaleSpec(runtimes=list(SCALE_RUNTIMES))  # the scale defaults, shown
    scale.add_argument("--spec", metavar="FILE",
                       help="bring up exactly this (JSON, as the results' scale_planned line "
                            "holds it; - reads stdin) instead of the options below")
    scale.add_argument("--runtimes", type=_csv,
                       help=f"comma-separated (default all): {','.join(SCALE_RUNTIMES)}")
    scale.add_argument("--benchmark", help=f"the function (default {spec.benchmark}): "
                                           f"{','.join(benchmarks.BENCHMARKS)}")
    scale.add_argument("--size", type=int, help="its size (default: the quick preset's)")
    scale.add_argument("--instances", type=int,
                       help=f"step up 1, 10, 100, ... to this many warm instances (default "
                            f"{spec.instances})")
    scale.add_argument("--requests", type=int,
                       help=f"burst size at the top step, 0 for none (default {spec.requests})")
    scale.add_argument("--concurrency", type=int,
                       help=f"concurrent clients in the burst (default {spec.concurrency})")
    scale.add_argument("--memory-budget", type=_argument_type(parse_bytes), metavar="SIZE",
                       help="stop stepping up before the instances use more (like 2g; "
                            "default a quarter of this machine's memory)")
    _add_run_options(scale)
    scale.add_argument("--out", help="results file (JSONL); default: a new file in the data dir")
    scale.add_argument("--json", action="store_true", help="stream events as JSON lines to stdout")
    _add_build_options(scale)


def _port(text: str) -> int:
    port = int(text) if text.strip().isdigit() else -1
    if not 0 < port < 65536:
        raise ValueError(f"port {text!r} is not a whole number from 1 to 65535")
    return port


class _Version(argparse.Action):
    """``--version``, read from the installed distribution only when asked: its metadata costs
    about 20 ms of every other command's start (``--help`` included)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                         nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from engine.environment import faasbench_version

        print(f"faasbench {faasbench_version()}")
        parser.exit()


def _add_ssh_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accept-new-host-key", action="store_true",
                        help="record an unknown host key in known_hosts (a changed key is "
                             "always refused)")
    parser.add_argument("--remote-faasbench", metavar="PATH",
                        default=os.environ.get(REMOTE_FAASBENCH_VARIABLE),
                        help=f"faasbench on the host (default: ${REMOTE_FAASBENCH_VARIABLE}, "
                             f"else the --install venv in its data dir, then faasbench on "
                             f"PATH)")
