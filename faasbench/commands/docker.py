"""``faasbench clean`` and ``faasbench docker-base``: Docker housekeeping from the command line."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from engine.report.units import fmt_bytes
from engine.runtimes.docker.engine_client import FIX, EngineError, connect
from engine.runtimes.docker.images import (
    DEBIAN_MIRROR,
    LABEL,
    build_debian_base,
    remove_containers,
    remove_images,
)


def _client(console: Console) -> Any:
    try:
        return connect()
    except EngineError as exc:
        console.print(f"[red]{exc}[/] — {FIX}")
        return None


def clean_command(args: argparse.Namespace) -> int:
    """Remove every faasbench container (and with --images, every faasbench image)."""
    console = Console(stderr=True)
    client = _client(console)
    if client is None:
        return 1
    with client:
        containers = remove_containers(client, LABEL)
        console.print(f"removed {containers} faasbench container(s)")
        if args.images:
            console.print(f"removed {remove_images(client)} faasbench image(s)")
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
