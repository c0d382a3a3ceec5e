"""``faasbench clean`` and ``faasbench docker-base``: Docker housekeeping from the command line."""

from __future__ import annotations

import argparse
import shutil
from typing import Any

from rich.console import Console

from engine.measure.worker_link import leftover_scratch
from engine.owner import pid_of
from engine.report.units import fmt_bytes
from engine.runtimes.docker.engine_client import FIX, EngineError, connect
from engine.runtimes.docker.images import (
    DEBIAN_MIRROR,
    build_debian_base,
    remove_images,
    remove_leftover_containers,
)


def _client(console: Console) -> Any:
    try:
        return connect()
    except EngineError as exc:
        console.print(f"[red]{exc}[/] — {FIX}")
        return None


def clean_command(args: argparse.Namespace) -> int:
    """Remove what runs that are over left behind: their containers and worker scratch
    folders (and with --images, faasbench's images). A run still going keeps its own, and is
    named; --force removes its containers and images too (never its scratch folder, which it
    removes itself)."""
    console = Console(stderr=True, soft_wrap=True)
    folders = leftover_scratch()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    client = _client(console)
    if client is None:
        console.print(f"removed {len(folders)} scratch folder(s) of runs that are over")
        return 1
    with client:
        found = remove_leftover_containers(client, args.force)
        console.print(f"removed {found.removed} faasbench container(s) and {len(folders)} "
                      f"scratch folder(s) of runs that are over")
        if args.images:
            console.print(f"removed {remove_images(client, found.kept_images)} faasbench "
                          f"image(s)")
    if found.live:
        runs = "; ".join(f"run {', '.join(sorted(runs))} (pid {pid_of(who)})"
                         for who, runs in sorted(found.live.items()))
        console.print(f"[yellow]left the containers of {len(found.live)} run(s) still going: "
                      f"{runs}; `faasbench clean --force` removes them too (and stops those "
                      f"cells)[/]")
    return 0


def docker_base_command(args: argparse.Namespace) -> int:
    """Build (or find cached) the minimal Debian base image and say what it cost."""
    console = Console(stderr=True)
    client = _client(console)
    if client is None:
        return 1
    mirror = args.mirror or DEBIAN_MIRROR
    with client:
        console.print(f"debootstrap --variant=minbase {args.suite} from {mirror} "
                      "(cached after the first build) ...")
        try:
            result = build_debian_base(client, args.suite, mirror, args.rebuild)
        except RuntimeError as exc:
            console.print(f"[red]{exc}[/]")
            return 1
    how = "cached" if result["cached"] else f"built in {result['seconds']} s"
    console.print(f"{result['tag']}: {fmt_bytes(result['size_bytes'])} ({how}); "
                  f"use it with: faasbench run --runtimes docker --docker-base {result['tag']}")
    return 0
