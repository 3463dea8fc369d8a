"""The router: which predicates an event reaches.

Predicates are grouped by category (an event reaches the predicates of its categories plus the
``any`` ones). Within a category each predicate takes one route:

* **indexed**: its condition is a conjunction with an equality on a field (``==``, ``in``,
  ``:`` with an exact pattern, or an ``or`` of those on one field). The generated code looks the
  event's value up in a dict and evaluates only the predicates filed under it.
* **prefiltered**: no selective equality, but a conjunct requires a literal in a field (a
  wildcard such as ``*whoami*``, ``startsWith``, ``endsWith``, ``stringContains``). One
  Aho-Corasick automaton per field finds, in one pass, the predicates whose literal occurs.
* **scanned**: everything else, evaluated for every event of the category.

Correctness rests on one rule: a route's key is implied by the condition being true (a conjunct
is true only if the key matches), so no true match is ever dropped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from kestrel_core import ir
from kestrel_core.runtime import patterns

#: An equality key whose busiest value is shared by more predicates than this is not selective;
#: a literal prefilter is preferred when the predicate has one.
SELECTIVE = 16
#: Shorter literals are too common to prefilter on.
MIN_LITERAL = 3

FieldKey = tuple[tuple[str | int, ...], bool]  # (path, case_insensitive)


@attrs.frozen
class EqualityKey:
    """The condition implies: the field (lowercased if ``case_insensitive``) equals one of
    ``values`` (strings or numbers, never booleans)."""

    path: tuple[str | int, ...]
    case_insensitive: bool
    values: frozenset[Any]

    @property
    def field(self) -> FieldKey:
        """The dispatcher this key belongs to."""
        return (self.path, self.case_insensitive)


@attrs.frozen
class LiteralKey:
    """The condition implies: the field (lowercased if ``case_insensitive``) contains one of
    ``literals``."""

    path: tuple[str | int, ...]
    case_insensitive: bool
    literals: frozenset[str]

    @property
    def field(self) -> FieldKey:
        """The automaton this key belongs to."""
        return (self.path, self.case_insensitive)


def conjuncts(expr: ir.Expr) -> list[ir.Expr]:
    """The operands of a (nested) top-level ``And``, or the expression itself."""
    out: list[ir.Expr] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ir.And):
            stack.extend(reversed(node.operands))
        else:
            out.append(node)
    return out


def _field_wildcard(expr: ir.Expr) -> bool:
    if not isinstance(expr, ir.Match):
        return False
    return expr.kind == "wildcard" and isinstance(expr.operand, ir.Field)


def _disjuncts(expr: ir.Or) -> list[ir.Expr]:
    """The operands of nested ``Or`` nodes, iteratively (rules nest ``or`` a thousand deep)."""
    out: list[ir.Expr] = []
    stack: list[ir.Expr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ir.Or):
            stack.extend(reversed(node.operands))
        else:
            out.append(node)
    return out


def _indexable(value: Any) -> bool:
    if type(value) is str:
        return True
    if type(value) is int:
        return True
    return type(value) is float and math.isfinite(value)


def equality_key(expr: ir.Expr) -> EqualityKey | None:
    """The equality this condition requires to be true, if any."""
    if isinstance(expr, ir.Compare) and expr.op == "==":
        field, lit = expr.left, expr.right
        if isinstance(lit, ir.Field):
            field, lit = lit, field
        if isinstance(field, ir.Field) and isinstance(lit, ir.Literal) and _indexable(lit.value):
            value, ci = lit.value, expr.case_insensitive and type(lit.value) is str
            return EqualityKey(field.path, ci, frozenset([value.lower() if ci else value]))
        return None
    if isinstance(expr, ir.In) and isinstance(expr.operand, ir.Field):
        if not all(isinstance(v, ir.Literal) for v in expr.values):
            return None
        values = [v.value for v in expr.values if v.value is not None]  # type: ignore[union-attr]
        if not values or not all(_indexable(v) for v in values):
            return None
        ci = expr.case_insensitive
        keys = {v.lower() if ci and type(v) is str else v for v in values}
        return EqualityKey(expr.operand.path, ci, frozenset(keys))
    if _field_wildcard(expr):
        ci = expr.case_insensitive
        exact = [patterns.literal_of(p.lower() if ci else p) for p in expr.patterns]
        if not exact or any(e is None for e in exact):
            return None
        return EqualityKey(expr.operand.path, ci, frozenset(exact))  # type: ignore[arg-type]
    if isinstance(expr, ir.Or):
        return _union([equality_key(op) for op in _disjuncts(expr)])  # type: ignore[return-value]
    return None


_LITERAL_CALLS = {"startswith", "endswith", "stringcontains"}


def literal_key(expr: ir.Expr) -> LiteralKey | None:
    """A literal this condition requires its field to contain, if any."""
    if _field_wildcard(expr):
        ci = expr.case_insensitive
        literals = [patterns.required_literal(p.lower() if ci else p) for p in expr.patterns]
        if not literals or any(len(lit) < MIN_LITERAL for lit in literals):
            return None
        return LiteralKey(expr.operand.path, ci, frozenset(literals))
    if (
        isinstance(expr, ir.Call)
        and expr.name in _LITERAL_CALLS
        and len(expr.args) == 2
        and isinstance(expr.args[0], ir.Field)
        and isinstance(expr.args[1], ir.Literal)
        and type(expr.args[1].value) is str
        and len(expr.args[1].value) >= MIN_LITERAL
    ):
        ci = expr.case_insensitive
        text = expr.args[1].value
        return LiteralKey(expr.args[0].path, ci, frozenset([text.lower() if ci else text]))
    if isinstance(expr, ir.Or):
        return _union([literal_key(op) for op in _disjuncts(expr)])  # type: ignore[return-value]
    return None


def _union(keys: Sequence[EqualityKey | LiteralKey | None]) -> EqualityKey | LiteralKey | None:
    """An ``or`` of keys on one field requires one of their values."""
    if not keys or any(k is None for k in keys):
        return None
    first = keys[0]
    assert first is not None
    if any(type(k) is not type(first) or k.field != first.field for k in keys):  # type: ignore[union-attr]
        return None
    if isinstance(first, EqualityKey):
        values = frozenset().union(*(k.values for k in keys))  # type: ignore[union-attr]
        return EqualityKey(first.path, first.case_insensitive, values)
    literals = frozenset().union(*(k.literals for k in keys))  # type: ignore[union-attr]
    return LiteralKey(first.path, first.case_insensitive, literals)


@attrs.define
class CategoryPlan:
    """The routes of one category's predicates (``category`` ``None`` is ``any``)."""

    category: str | None
    #: (path, ci) -> key value -> predicates filed under it
    indexed: dict[FieldKey, dict[Any, list[ir.Predicate]]] = attrs.field(factory=dict)
    #: (path, ci) -> literal -> predicates requiring it
    prefiltered: dict[FieldKey, dict[str, list[ir.Predicate]]] = attrs.field(factory=dict)
    scanned: list[ir.Predicate] = attrs.field(factory=list)

    @property
    def size(self) -> int:
        """How many predicates the category holds."""
        ids = {p.id for p in self.scanned}
        for table in (*self.indexed.values(), *self.prefiltered.values()):
            for preds in table.values():
                ids.update(p.id for p in preds)
        return len(ids)

    def hot_fields(self) -> list[FieldKey]:
        """The fields the dispatch reads, in a stable order."""
        return list(dict.fromkeys([*self.indexed, *self.prefiltered]))


def _choose_equality(
    keys: list[EqualityKey], popularity: Counter, per_field: Counter
) -> tuple[EqualityKey | None, int]:
    best, best_score = None, None
    for key in keys:
        busiest = max(popularity[(key.field, v)] for v in key.values)
        score = (busiest, len(key.values), -per_field[key.field])
        if best_score is None or score < best_score:
            best, best_score = key, score
    return best, (best_score[0] if best_score else 0)


def _choose_literal(keys: list[LiteralKey]) -> LiteralKey | None:
    def score(key: LiteralKey) -> tuple[int, int]:
        return (min(len(lit) for lit in key.literals), -len(key.literals))

    return max(keys, key=score, default=None)


def plan(predicates: Iterable[ir.Predicate], use_index: bool = True) -> list[CategoryPlan]:
    """Route every predicate; categories in first-seen order, ``any`` last."""
    by_category: dict[str | None, list[ir.Predicate]] = {}
    for p in predicates:
        by_category.setdefault(p.category, []).append(p)
    plans = []
    for category in sorted(by_category, key=lambda c: (c is None, list(by_category).index(c))):
        preds = by_category[category]
        result = CategoryPlan(category)
        if not use_index:
            result.scanned.extend(preds)
            plans.append(result)
            continue
        eq_keys = {p.id: _keys(p, equality_key) for p in preds}
        lit_keys = {p.id: _keys(p, literal_key) for p in preds}
        popularity: Counter = Counter()
        per_field: Counter = Counter()
        for keys in eq_keys.values():
            seen = {(k.field, v) for k in keys for v in k.values}
            popularity.update(seen)
            per_field.update({k.field for k in keys})
        for p in preds:
            eq, busiest = _choose_equality(eq_keys[p.id], popularity, per_field)
            lit = _choose_literal(lit_keys[p.id])
            if eq is not None and (busiest <= SELECTIVE or lit is None):
                table = result.indexed.setdefault(eq.field, {})
                for value in eq.values:
                    table.setdefault(value, []).append(p)
            elif lit is not None:
                table = result.prefiltered.setdefault(lit.field, {})
                for literal in lit.literals:
                    table.setdefault(literal, []).append(p)
            else:
                result.scanned.append(p)
        plans.append(result)
    return plans


def _keys(predicate: ir.Predicate, extract: Any) -> list[Any]:
    return [k for k in (extract(c) for c in conjuncts(predicate.condition)) if k is not None]
