"""The house rules: the command line is the composition root (import-linter's contracts in
pyproject.toml, which the README's test command runs as ``lint-imports``), ``engine/`` reads as
a table of contents, and no module grows past a few hundred lines."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "tui", "faasbench")
MAX_LINES = 400


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], cwd=root,
                          capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)})


def test_a_lazy_dashboard_import_in_the_engine_breaks_the_contract(tmp_path: Path) -> None:
    """The contracts hold for the code as it is, and a copy whose engine imports the dashboard
    inside a function (an import that never runs at import time) is refused."""
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    kept = _lint_imports(tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    with (tmp_path / "engine" / "store" / "history.py").open("a") as module:
        module.write("\n\ndef _dashboard() -> None:\n    import tui.app  # noqa: F401\n")
    broken = _lint_imports(tmp_path)
    assert broken.returncode != 0
    assert "engine is not allowed to import tui" in broken.stdout


@pytest.mark.fast
def test_the_engine_folder_reads_as_a_table_of_contents() -> None:
    """A few modules beside sub-packages, each package saying what lives in it."""
    top = sorted(p.name for p in (ROOT / "engine").glob("*.py"))
    assert len(top) <= 12, top
    for init in (ROOT / "engine").rglob("__init__.py"):
        text = init.read_text()
        assert text.startswith('"""') and len(text) > 80, f"{init} says nothing of its package"


@pytest.mark.fast
def test_no_module_is_over_the_limit() -> None:
    long = {str(p.relative_to(ROOT)): n for name in (*PACKAGES, "tests")
            for p in (ROOT / name).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long
