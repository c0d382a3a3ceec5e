"""Writing cache files so that readers never see half a file and concurrent writers never collide.

Artifacts, precompiled modules, references and data files are shared by every faasbench
process on the machine (two dashboards, a CLI run, the tests). Each is written under a unique
temporary name in its final directory and renamed into place, which POSIX makes atomic.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Union


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A unique temporary path beside ``path``; renamed onto it when the block succeeds.

    For files another program writes (a compiler's ``-o``): pass it the temporary path, which
    ends in ``path``'s own name, since some compilers choose the output format by suffix.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{os.urandom(4).hex()}-{path.name}")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_atomic(path: Path, data: Union[bytes, str], mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` all at once, as far as any reader can tell."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)
        tmp.chmod(mode)
