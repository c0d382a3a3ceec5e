"""``faasbench overhead``: both medians and their difference, one line each."""

from __future__ import annotations

import argparse

from engine.measure.overhead import measure
from engine.report.units import fmt_ns
from engine.spec.options import check_count


def overhead_command(args: argparse.Namespace) -> int:
    runs = args.runs
    result = measure(check_count(runs, "runs"))
    ours, theirs = result["faasbench_median_ns"], result["hyperfine_median_ns"]
    print(f"binary:             {result['binary']} ({runs} runs each)")
    print(f"faasbench median:   {fmt_ns(ours)}")
    if theirs is None:
        print("hyperfine median:   – (hyperfine not installed: apt-get install hyperfine)")
        return 0
    print(f"hyperfine -N median: {fmt_ns(theirs)}")
    print(f"difference:         {fmt_ns(ours - theirs)} ({ours / theirs:.2f}×)")
    return 0
