"""Input checks for the setup and tune screens, worded by the engine's own validation.

Each check takes the raw text and returns the number or raises ValueError with a message
that says what is wrong, so a field can show it and the Run button can stay disabled.
"""

from __future__ import annotations

from typing import Callable

from textual.validation import ValidationResult, Validator

from engine.errors import PlanError
from engine.spec.benchmarks import BENCHMARKS
from engine.spec.options import check_count


def whole_number(text: str, what: str) -> int:
    try:
        return int(text.strip().replace("_", ""))
    except ValueError:
        shown = repr(text.strip()) if text.strip() else "an empty field"
        raise ValueError(f"{what}: {shown} is not a whole number") from None


def iterations(text: str) -> int:
    try:
        return check_count(whole_number(text, "iterations"))
    except PlanError as exc:
        raise ValueError(str(exc)) from None


def size_of(benchmark: str) -> Callable[[str], int]:
    """The size check of one benchmark (its own range and meaning)."""
    bench = BENCHMARKS[benchmark]

    def check(text: str) -> int:
        value = whole_number(text, f"{benchmark} size")
        bench.check_size(value)
        return value

    return check


class Check(Validator):
    """A Textual validator around one of the checks above."""

    def __init__(self, check: Callable[[str], int]) -> None:
        super().__init__()
        self.check = check

    def validate(self, value: str) -> ValidationResult:
        try:
            self.check(value)
        except ValueError as exc:
            return self.failure(str(exc))
        return self.success()
