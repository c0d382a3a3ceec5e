"""Images and leftovers: building benchmark images locally, cleaning up.

Images are never pulled. Each holds one static native binary, ``FROM scratch`` by default or
on a base image the user has locally; the tag is a hash of binary and Dockerfile (plus the
base image id), so an image is rebuilt exactly when one of them changes; the binary's own hash
is the ``faasbench.artifact`` label. Everything faasbench creates carries the ``faasbench``
label so ``faasbench clean`` can find it.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import struct
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from engine import owner

LABEL = "faasbench"
RUN_LABEL = "faasbench.run"
OWNER_LABEL = "faasbench.owner"
"""The run's controller (``engine.owner``): ``faasbench clean`` leaves a live one's containers."""
GUEST_BIN_DIR = "/faasbench"
LAUNCHER_GUEST = "/.faasbench-launcher"
BASE_REPOSITORY = "faasbench/debian-base"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
STRIPPED = ("usr/share/doc", "usr/share/locale", "usr/share/man", "usr/share/info",
            "var/lib/apt/lists", "var/cache/apt", "var/cache/debconf")
"""What ``docker-base`` removes from the debootstrap tree: nothing a static binary needs."""


@dataclass(frozen=True)
class Image:
    tag: str
    size_bytes: int
    """The whole image, base layers included."""
    base_bytes: int = 0
    """The base image's share of it (0 FROM scratch): installed once per machine, not per
    function."""

    @property
    def own_bytes(self) -> int:
        """The function's own layer(s): what deploying one more function costs."""
        return self.size_bytes - self.base_bytes


def guest_path(benchmark: str) -> str:
    """Where the binary lives inside the image; containers invoke it by this path."""
    return f"{GUEST_BIN_DIR}/{benchmark}"


def _tar_add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def _dockerfile(benchmark: str, base: Optional[str]) -> str:
    """The entrypoint makes ``docker run IMAGE`` work by hand too (hyperfine cross-checks)."""
    return (f"FROM {base or 'scratch'}\nCOPY program {guest_path(benchmark)}\n"
            f'ENTRYPOINT ["{guest_path(benchmark)}"]\n')


def _context(dockerfile: str, binary: bytes) -> io.BytesIO:
    """A build context in memory: the Dockerfile and the binary, owned by root, mode 0755."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        _tar_add(tar, "Dockerfile", dockerfile.encode())
        _tar_add(tar, "program", binary, 0o755)
    buf.seek(0)
    return buf


def _find(client: Any, ref: str) -> Optional[dict[str, Any]]:
    """The image's attributes, or None when the engine has no such image."""
    from docker.errors import ImageNotFound

    try:
        return client.inspect_image(ref)
    except ImageNotFound:
        return None


def needs_loader(binary: bytes) -> bool:
    """Whether an ELF executable names a program interpreter (PT_INTERP): a dynamically linked
    (glibc) build, which an image FROM scratch cannot run."""
    if binary[:4] != b"\x7fELF" or binary[4] != 2:  # only 64-bit little-endian is built
        return False
    phoff, = struct.unpack_from("<Q", binary, 0x20)
    size, count = struct.unpack_from("<HH", binary, 0x36)
    return any(struct.unpack_from("<I", binary, phoff + i * size)[0] == 3 for i in range(count))


def ensure_image(client: Any, benchmark: str, artifact: str, base: Optional[str]) -> Image:
    """The image for this binary (and base), built only if no image has its tag yet."""
    binary = Path(artifact).read_bytes()
    if base is None and needs_loader(binary):
        raise RuntimeError("this native build is linked dynamically (glibc) and cannot run "
                           "FROM scratch: give --docker-base (faasbench docker-base builds one), "
                           "or build with --native-libc musl")
    dockerfile = _dockerfile(benchmark, base)
    key = hashlib.sha256(binary).hexdigest()[:16]
    recipe = hashlib.sha256(binary + dockerfile.encode()).hexdigest()[:16]
    base_id, base_bytes = None, 0
    if base is not None:
        base_attrs = _find(client, base)
        if base_attrs is None:
            raise RuntimeError(f"base image {base} is not on the engine and faasbench never pulls: "
                               "build one with `faasbench docker-base` or `docker load` it")
        base_id, base_bytes = base_attrs["Id"].split(":")[-1][:12], base_attrs["Size"]
    tag = f"faasbench/{benchmark}:{recipe}" + (f"-on-{base_id}" if base_id else "")
    attrs = _find(client, tag)
    if attrs is None:
        labels = {LABEL: "1", "faasbench.benchmark": benchmark, "faasbench.artifact": key,
                  "faasbench.base": base or "scratch"}
        for line in client.build(fileobj=_context(dockerfile, binary), custom_context=True,
                                 tag=tag, labels=labels, rm=True, forcerm=True, pull=False,
                                 decode=True):
            if "error" in line:
                raise RuntimeError(f"building {tag} failed: {line['error'].strip()}")
        attrs = client.inspect_image(tag)
    return Image(tag, attrs["Size"], base_bytes)


def remove_containers(client: Any, label: str) -> int:
    """Force-remove every container (running or not) carrying ``label``; returns how many."""
    found = client.containers(all=True, filters={"label": label})
    for container in found:
        client.remove_container(container["Id"], force=True, v=True)
    return len(found)


@dataclass
class Leftovers:
    """What ``faasbench clean`` found of faasbench's on an engine."""

    removed: int = 0
    live: dict[str, set[str]] = field(default_factory=dict)
    """Runs still going whose containers were left: controller (``engine.owner``) -> run ids."""
    kept_images: set[str] = field(default_factory=set)
    """The images those containers run."""

    @property
    def kept(self) -> int:
        return sum(len(runs) for runs in self.live.values())


def remove_leftover_containers(client: Any, force: bool = False) -> Leftovers:
    """Remove faasbench's containers whose run is over (its controller is gone, or it carries
    no owner, as from an older faasbench); with ``force`` every one. A container that goes
    meanwhile (its own run removed it) is not counted."""
    import docker.errors

    found = Leftovers()
    for container in client.containers(all=True, filters={"label": LABEL}):
        labels = container.get("Labels") or {}
        who = labels.get(OWNER_LABEL, "")
        if not force and who and owner.alive(who):
            found.live.setdefault(who, set()).add(labels.get(RUN_LABEL, "?"))
            found.kept_images.add(container.get("ImageID", ""))
            continue
        try:
            client.remove_container(container["Id"], force=True, v=True)
        except docker.errors.NotFound:
            continue
        found.removed += 1
    return found


def sweep_containers(label: str) -> None:
    """Remove every container carrying ``label`` on the engine; quiet when it is gone (then
    nothing of ours runs there) or dies meanwhile (nothing more can be removed)."""
    from engine.runtimes.docker.engine_client import EngineError, connect

    try:
        client = connect()
    except EngineError:
        return
    try:
        remove_containers(client, label)
    except Exception:  # the engine died meanwhile
        pass
    finally:
        client.close()


def remove_images(client: Any, keep: Collection[str] = ()) -> int:
    """Remove every faasbench image, built benchmark images and imported base images alike,
    but those in ``keep`` (ids: the images live runs use)."""
    found = [image for image in client.images(filters={"label": f"{LABEL}=1"})
             if image["Id"] not in keep]
    for image in found:
        client.remove_image(image["Id"], force=True)
    return len(found)


def build_debian_base(client: Any, suite: str, mirror: str,
                      rebuild: bool = False) -> dict[str, Any]:
    """A minimal Debian image made with debootstrap + import, for the full-distribution case."""
    tag = f"{BASE_REPOSITORY}:{suite}"
    cached = None if rebuild else _find(client, tag)
    if cached is not None:
        return {"tag": tag, "size_bytes": cached["Size"], "seconds": 0.0, "cached": True}
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap is missing; install it: apt-get install -y debootstrap")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faasbench-base-") as tmp:
        root = Path(tmp) / "root"
        proc = subprocess.run(["debootstrap", "--variant=minbase", suite, str(root), mirror],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"debootstrap failed: {(proc.stderr or proc.stdout)[-1500:]}")
        for rel in STRIPPED:
            shutil.rmtree(root / rel, ignore_errors=True)
        archive = Path(tmp) / "root.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(root, arcname=".")
        client.import_image(src=str(archive), repository=BASE_REPOSITORY, tag=suite,
                            changes=[f"LABEL {LABEL}=1 faasbench.base=debian-{suite}"])
    attrs = client.inspect_image(tag)
    return {"tag": tag, "size_bytes": attrs["Size"],
            "seconds": round(time.monotonic() - started, 1), "cached": False}
