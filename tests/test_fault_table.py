"""The README's fault table stays true: every row names at least one test, and every test it
names exists (a renamed or deleted test fails here, not silently in the README)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NAMED = re.compile(r"`(test_\w+\.py)::(test_\w+)`")

pytestmark = pytest.mark.fast


def fault_rows() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## When something goes wrong", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return rows[1:]  # the header; the |---| line does not start with "| "


def test_fault_table_rows_each_name_tests_that_exist() -> None:
    rows = fault_rows()
    assert len(rows) >= 16, "the table lost rows"
    defined: dict[str, set[str]] = {}
    for row in rows:
        named = NAMED.findall(row.rsplit("|", 2)[1])
        assert named, f"a fault without a test: {row[:80]}"
        for module, test in named:
            if module not in defined:
                tree = ast.parse((REPO / "tests" / module).read_text())
                defined[module] = {node.name for node in tree.body
                                   if isinstance(node, ast.FunctionDef)}
            assert test in defined[module], f"{module}::{test} (README) does not exist"
