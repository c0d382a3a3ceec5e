"""Getting ready to run, the same for a run (``Run``) and a scale run (``ScaleRun``): which
runtimes can run here, the environment record, building what the cells need (and the native
build where it is a reference), and the job a runtime is given for a benchmark.

A runtime that cannot run the build profile's SIMD modules is unavailable for that profile, with
why. What a build needs is built once per benchmark; a benchmark whose build fails says so in a
``RunError`` and its cells are skipped.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

from engine import environment, owner, runtimes
from engine.build import artifacts, datafiles, toolchain
from engine.build.artifacts import Artifact
from engine.runtimes.base import Availability, Job
from engine.runtimes.simd import simd_problem
from engine.spec.benchmarks import BENCHMARKS, GUEST_DIR
from engine.spec.options import RunOptions
from engine.store.events import Event, RunError
from engine.terms import Mode
from engine.verify.expected import ReferenceSpec


def availability(name: str, profile: str) -> Availability:
    """Whether a runtime can run here the programs of this build profile: one that cannot run
    the profile's SIMD modules is unavailable for it, with why."""
    found = runtimes.availability(name)
    if not (found.ok and toolchain.PROFILES[profile].wasm_simd):
        return found
    problem = simd_problem(name, found.version)
    if problem is None:
        return found
    return Availability(False, found.version, reason=f"profile {profile} builds WebAssembly "
                        f"with simd128 and {problem}",
                        fix="use --profile study (no SIMD), or a runtime version with simd128")


def availabilities(names: Iterable[str], profile: str) -> dict[str, Availability]:
    """``availability`` of each runtime named (once each, in order)."""
    return {name: availability(name, profile) for name in dict.fromkeys(names)}


def unavailable_reasons(found: dict[str, Availability]) -> list[str]:
    """Per runtime that cannot run: what is wrong and what to do, in one line."""
    return [_why_unavailable(name, a) for name, a in found.items() if not a.ok]


def _why_unavailable(name: str, found: Availability) -> str:
    return f"runtime {name} unavailable: {found.reason} — {found.fix}"


def unavailable_errors(found: dict[str, Availability], consequence: str) -> Iterator[RunError]:
    """A run that goes ahead without some runtimes (started from the dashboard, or through
    ``Run`` or ``ScaleRun`` directly; the command line refuses instead) says so, and what it
    means."""
    for name, a in found.items():
        if not a.ok:
            yield RunError(f"{_why_unavailable(name, a)}; {consequence}", runtime=name)


def environment_record(found: dict[str, Availability],
                       flags: toolchain.BuildFlags) -> dict[str, Any]:
    """The environment a run's or scale run's results file begins with."""
    return environment.describe({n: a.version for n, a in found.items() if a.ok},
                                {"zig": toolchain.zig_version(), **flags.describe()})


@dataclass
class Builds:
    """What was built for a run: an artifact per benchmark and target."""

    flags: toolchain.BuildFlags
    artifacts: dict[tuple[str, str], Artifact] = field(default_factory=dict)

    def artifact(self, runtime: str, benchmark: str) -> Optional[Artifact]:
        """The program a runtime runs for a benchmark (None: it needs none, or its build
        failed)."""
        target = runtimes.get(runtime).artifact_target
        return self.artifacts.get((benchmark, target)) if target else None

    def failed(self, runtime: str, benchmark: str) -> bool:
        """Whether the runtime needs a program for the benchmark that was not built."""
        return runtimes.get(runtime).artifact_target is not None and \
            self.artifact(runtime, benchmark) is None

    def reference(self, benchmark: str, size: int) -> ReferenceSpec:
        """Where the expected output of a benchmark at a size comes from."""
        native = self.artifacts.get((benchmark, "native"))
        return ReferenceSpec(benchmark, size, str(native.path) if native else None,
                             native.key if native else "")


def build(needs: Iterable[tuple[str, str, int]],
          flags: toolchain.BuildFlags) -> Generator[Event, None, Builds]:
    """Build what each (runtime, benchmark, size) needs, yielding an ``ArtifactBuilt`` per
    program (or a ``RunError`` per benchmark that fails to build); returns the ``Builds``."""
    builds = Builds(flags)
    needs = list(needs)
    for bench in dict.fromkeys(benchmark for _, benchmark, _ in needs):
        mine = [(runtime, size) for runtime, benchmark, size in needs if benchmark == bench]
        targets = [runtimes.get(runtime).artifact_target for runtime, _ in mine]
        if any(size > BENCHMARKS[bench].reference_limit for _, size in mine):
            targets.append("native")  # the reference for these sizes
        wanted = [t for t in dict.fromkeys(targets) if t]
        if not wanted:
            continue
        try:
            for event in artifacts.build_all([bench], wanted, flags):
                builds.artifacts[(event.benchmark, event.target)] = artifacts.artifact_for(
                    event.benchmark, event.target, flags)
                yield event
        except toolchain.ToolchainError as exc:
            yield RunError(f"cannot build {bench}: {exc}; its cells are skipped",
                           benchmark=bench)
    return builds


def job(runtime: str, benchmark: str, size: int, mode: Mode, run_id: str,
        options: RunOptions, artifact: Optional[Artifact]) -> Job:
    """What a runtime is given to run a benchmark at a size: its program, argv (naming the
    data directory where the runtime shows it) and the directory the guest is shown."""
    host_dir = str(datafiles.benchmark_dir(benchmark, size))
    shown_dir = GUEST_DIR if runtimes.get(runtime).maps_guest_dir else host_dir
    return Job(benchmark=benchmark, artifact=str(artifact.path) if artifact else "",
               argv=[benchmark, *BENCHMARKS[benchmark].guest_args(size, shown_dir)],
               host_dir=host_dir, guest_dir=GUEST_DIR, mode=mode, run_id=run_id,
               options=options, owner=owner.this_process())
