"""The reference evaluator of IR expressions: direct, small and obviously correct.

It walks the tree for every event, so it is slow; it is the oracle the compiled runtimes are
tested against (see :mod:`kestrel_core.ir` for the semantics it implements). It shares only
:mod:`kestrel_core.runtime.functions` with the generated code; comparisons, ``in``, wildcards and
the three-valued logic are written out again here, independently and plainly.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import re2

from kestrel_core import ir
from kestrel_core.events.fields import lookup
from kestrel_core.events.model import Event
from kestrel_core.runtime import functions

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def matches(expr: ir.Expr, event: Event) -> bool:
    """True only when ``expr`` evaluates to exactly ``True`` on ``event``."""
    return evaluate(expr, event) is True


def evaluate(expr: ir.Expr, event: Event) -> Any:
    """The value of ``expr`` on ``event``: a scalar, a list (a multi-valued field) or ``None``."""
    if isinstance(expr, ir.Literal):
        return expr.value
    if isinstance(expr, ir.Field):
        return lookup(event.fields, expr.path)
    if isinstance(expr, ir.EventTime):
        return event.timestamp
    if isinstance(expr, ir.And):
        values = [evaluate(op, event) for op in expr.operands]
        if any(v is False for v in values):
            return False
        return True if all(v is True for v in values) else None
    if isinstance(expr, ir.Or):
        values = [evaluate(op, event) for op in expr.operands]
        if any(v is True for v in values):
            return True
        return False if all(v is False for v in values) else None
    if isinstance(expr, ir.Not):
        value = evaluate(expr.operand, event)
        return {True: False, False: True}.get(value) if type(value) is bool else None
    if isinstance(expr, ir.IsNull):
        return _is_null(evaluate(expr.operand, event))
    if isinstance(expr, ir.Compare):
        left, right = evaluate(expr.left, event), evaluate(expr.right, event)
        return _any_pair(left, right, lambda a, b: _compare(expr.op, a, b, expr.case_insensitive))
    if isinstance(expr, ir.In):
        return _in(expr, event)
    if isinstance(expr, ir.Match):
        return _match(expr, evaluate(expr.operand, event))
    if isinstance(expr, ir.Arith):
        return functions.arith(expr.op, evaluate(expr.left, event), evaluate(expr.right, event))
    if isinstance(expr, ir.Neg):
        return functions.neg(evaluate(expr.operand, event))
    if isinstance(expr, ir.Call):
        args = [evaluate(a, event) for a in expr.args]
        return functions.call(expr.name, expr.case_insensitive, args)
    if isinstance(expr, ir.Lineage):
        raise TypeError(
            "a lineage condition needs the process tree: the detector decides it "
            "(kestrel_core.lineage.HostConditions resolves it before calling the interpreter)"
        )
    raise TypeError(f"not an IR expression: {type(expr).__name__}")


def _is_null(value: Any) -> bool:
    if isinstance(value, list):
        return all(v is None for v in value)
    return value is None


def _elements(value: Any) -> list[Any]:
    """The non-null values of a scalar or a list."""
    if isinstance(value, list):
        return [v for v in value if v is not None]
    return [] if value is None else [value]


def _or3(results: list[Any]) -> Any:
    """Three-valued OR; no operands at all is null."""
    if any(r is True for r in results):
        return True
    if results and all(r is False for r in results):
        return False
    return None


def _any_pair(left: Any, right: Any, test: Callable[[Any, Any], Any]) -> Any:
    """``test`` on every pair of non-null elements, combined with three-valued OR."""
    return _or3([test(a, b) for a in _elements(left) for b in _elements(right)])


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def _compare(op: str, a: Any, b: Any, case_insensitive: bool) -> Any:
    """Compare two non-null scalars. Mixed kinds: ``==`` false, ``!=`` true, ordering null."""
    if case_insensitive:
        a = a.lower() if isinstance(a, str) else a
        b = b.lower() if isinstance(b, str) else b
    same = _kind(a) == _kind(b) and _kind(a) != "other"
    if op == "==":
        return same and a == b
    if op == "!=":
        return not (same and a == b)
    if not same or _kind(a) == "bool":
        return None
    return _ORDER[op](a, b)


def _in(expr: ir.In, event: Event) -> Any:
    operand = evaluate(expr.operand, event)
    candidates = []
    for value_expr in expr.values:
        candidates.extend(_elements(evaluate(value_expr, event)))
    ci = expr.case_insensitive
    results = [
        any(_compare("==", element, c, ci) for c in candidates) for element in _elements(operand)
    ]
    return _or3(results)


def _match(expr: ir.Match, value: Any) -> Any:
    results = []
    for element in _elements(value):
        if not isinstance(element, str):
            results.append(False)
            continue
        text = element.lower() if expr.case_insensitive else element
        if expr.kind == "wildcard":
            hit = any(_wildcard(p, expr.case_insensitive).fullmatch(text) for p in expr.patterns)
        else:
            hit = any(
                _regex(p, expr.case_insensitive).fullmatch(text) is not None
                for p in expr.patterns
            )
        results.append(hit)
    return _or3(results)


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, case_insensitive: bool) -> re.Pattern[str]:
    """A wildcard as a Python regular expression (``*``, ``?``; no escapes)."""
    if case_insensitive:
        pattern = pattern.lower()
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


@lru_cache(maxsize=4096)
def _regex(pattern: str, case_insensitive: bool) -> Any:
    options = re2.Options()
    options.dot_nl = True
    options.case_sensitive = not case_insensitive
    options.log_errors = False
    options.max_mem = 1 << 30
    return re2.compile(pattern, options)
