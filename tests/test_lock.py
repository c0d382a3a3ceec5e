"""requirements-lock.txt, which set-up and CI install from, satisfies pyproject.toml.

pyproject.toml keeps compatible ranges for people who `pipx install`; the lock pins exact
versions with hashes for every Python faasbench supports. A change to either that leaves them
apart (a new dependency, a raised minimum) fails here until `./setup.sh lock` is run again.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements-lock.txt"

# The Pythons set-up meets: Debian 11's (the legacy wasmer path), Ubuntu 22.04's, Debian 12's,
# Ubuntu 24.04's, and whichever runs the tests.
PYTHONS = ("3.9.2", "3.10.12", "3.11.2", "3.12.3", ".".join(map(str, sys.version_info[:3])))

pytestmark = pytest.mark.fast


def locked() -> list[tuple[Requirement, list[str]]]:
    """Each pin of the lock with its hashes (pip's requirements format, as uv writes it)."""
    pins: list[tuple[Requirement, list[str]]] = []
    for line in LOCK.read_text().splitlines():
        if re.match(r"[A-Za-z0-9]", line):
            pins.append((Requirement(line.rstrip(" \\")), []))
        elif line.strip().startswith("--hash="):
            pins[-1][1].append(line.strip().rstrip(" \\").removeprefix("--hash="))
    return pins


def declared() -> list[Requirement]:
    """What pyproject.toml asks for: the dependencies, the test extra, the build back end."""
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    names = [*data["project"]["dependencies"], *data["project"]["optional-dependencies"]["test"],
             *data["build-system"]["requires"]]
    return [Requirement(text) for text in names]


def environment(python: str) -> dict[str, str]:
    """The marker environment of CPython `python` on Linux."""
    env = dict(default_environment())
    env.update(python_full_version=python, python_version=".".join(python.split(".")[:2]),
               implementation_name="cpython", platform_python_implementation="CPython",
               sys_platform="linux", platform_system="Linux", os_name="posix")
    return env


def pins_for(python: str) -> dict[str, str]:
    """Name -> pinned version for one Python; a name pinned twice for it fails."""
    env = environment(python)
    pins: dict[str, str] = {}
    for pin, _ in locked():
        if pin.marker is not None and not pin.marker.evaluate(env):
            continue
        name = canonicalize_name(pin.name)
        assert name not in pins, f"{name} is pinned twice for Python {python}"
        (spec,) = pin.specifier
        assert spec.operator == "==", f"{pin} is not an exact pin"
        pins[name] = spec.version
    return pins


def test_every_pin_is_exact_and_hashed():
    pins = locked()
    assert len(pins) > 20
    for pin, hashes in pins:
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{pin} has no hash"


@pytest.mark.parametrize("python", PYTHONS)
def test_lock_satisfies_pyproject(python: str):
    pins = pins_for(python)
    env = environment(python)
    for wanted in declared():
        if wanted.marker is not None and not wanted.marker.evaluate(env):
            continue
        name = canonicalize_name(wanted.name)
        assert name in pins, f"{name} ({wanted}) is not in the lock for Python {python}: " \
                             "run ./setup.sh lock"
        assert wanted.specifier.contains(pins[name], prereleases=True), \
            f"the lock pins {name}=={pins[name]} for Python {python}, outside pyproject's " \
            f"{wanted}: run ./setup.sh lock"


def test_the_legacy_and_new_wasmer_are_both_locked():
    """The Python 3.9 path gets the legacy wasmer, Python 3.11 the new SDK: one lock for both."""
    assert {"wasmer", "wasmer-compiler-cranelift"} <= set(pins_for("3.9.2"))
    assert "wasmer-sdk" not in pins_for("3.9.2")
    assert "wasmer-sdk" in pins_for("3.11.2")
    assert "wasmer" not in pins_for("3.11.2")
