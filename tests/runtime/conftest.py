"""Helpers shared by the runtime tests: build events directly, run IR through every evaluator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from kestrel_core import ir
from kestrel_core.events.model import Event
from kestrel_core.runtime import interpreter
from kestrel_core.runtime.python import PythonRuntime


def make_event(fields: dict[str, Any], categories: Sequence[str] = ("process",),
               timestamp: int | None = 1_000) -> Event:
    """An event over ``fields`` (no schema involved)."""
    return Event(categories=tuple(categories), timestamp=timestamp, tiebreaker=None,
                 fields=fields, record=fields)


def run_all(expr: ir.Expr, fields: dict[str, Any]) -> dict[str, bool]:
    """Whether ``expr`` matches, per evaluator: the interpreter, and the generated code with
    and without the index."""
    event = make_event(fields)
    pred = ir.Predicate(0, "rule", 0, "process", expr)
    out = {"interpreter": interpreter.matches(expr, event)}
    for index in (True, False):
        compiled = PythonRuntime(index=index).compile([pred], None)
        out[f"python(index={index})"] = compiled.evaluate([event]) == [(0, 0)]
        assert compiled.stats()["faults"] == 0, compiled.stats()["last_fault"]
    return out


@pytest.fixture
def check():
    """``check(expr, fields, expected)`` asserts every evaluator gives ``expected``."""

    def _check(expr: ir.Expr, fields: dict[str, Any], expected: bool) -> None:
        results = run_all(expr, fields)
        assert results == dict.fromkeys(results, expected), (expr, fields, results)

    return _check
