"""Helpers shared by the runtime tests: build events directly, run IR through every evaluator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from kestrel_core import ir
from kestrel_core.events.model import Event
from kestrel_core.runtime import interpreter
from kestrel_core.runtime.python import PythonRuntime
from kestrel_core.runtime.python import program as program_py


def make_event(fields: dict[str, Any], categories: Sequence[str] = ("process",),
               timestamp: int | None = 1_000) -> Event:
    """An event over ``fields`` (no schema involved)."""
    return Event(categories=tuple(categories), timestamp=timestamp, tiebreaker=None,
                 fields=fields, record=fields)


#: The python runtime's variants: with and without the index, predicates as generated
#: functions or as programs (run natively when the speedups are built).
VARIANTS = [(index, programs) for index in (True, False) for programs in (False, True)]


def program_of(compiled: Any, predicate_id: int) -> tuple | None:
    """The program a compiled module holds for a predicate (None: it is a function)."""
    fn = compiled._evaluate.__globals__["_FN"].get(predicate_id)
    return fn if type(fn) is tuple else None


def run_program_py(compiled: Any, predicate_id: int, event: Event) -> bool:
    """A predicate's program run by the pure-Python evaluator on one event."""
    ff = compiled._evaluate.__globals__["_FLAT"](event.fields)
    program = program_of(compiled, predicate_id)
    assert program is not None
    return program_py.run_py(program[1], True, event.fields, ff, event)


def run_all(expr: ir.Expr, fields: dict[str, Any]) -> dict[str, bool]:
    """Whether ``expr`` matches, per evaluator: the interpreter, the generated code with and
    without the index, as functions and as programs (and a program's pure-Python evaluator)."""
    event = make_event(fields)
    pred = ir.Predicate(0, "rule", 0, "process", expr)
    out = {"interpreter": interpreter.matches(expr, event)}
    for index, programs in VARIANTS:
        compiled = PythonRuntime(index=index, programs=programs).compile([pred], None)
        out[f"python(index={index}, programs={programs})"] = (
            compiled.evaluate([event]) == [(0, 0)]
        )
        assert compiled.stats()["faults"] == 0, compiled.stats()["last_fault"]
        if programs and program_of(compiled, 0) is not None:
            out["program (pure Python)"] = run_program_py(compiled, 0, event)
    return out


@pytest.fixture
def check():
    """``check(expr, fields, expected)`` asserts every evaluator gives ``expected``."""

    def _check(expr: ir.Expr, fields: dict[str, Any], expected: bool) -> None:
        results = run_all(expr, fields)
        assert results == dict.fromkeys(results, expected), (expr, fields, results)

    return _check
