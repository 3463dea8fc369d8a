"""Constant folding: subexpressions made only of constants become one constant.

``1 + 2 * 3`` is ``7``, ``-5`` is the constant ``-5``, ``not true`` is ``false``, ``1 < 2`` is
``true``. Values follow the IR semantics (:mod:`kestrel_core.ir`): null propagates, ``and``/``or``
are three-valued, integer division and modulo truncate toward zero, division by zero is null.
Run it after the analyzer: it assumes the tree is valid.
"""

from __future__ import annotations

import math

import attrs

from kestrel_eql import ast

_MISSING = object()


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _constant(node: ast.Expr) -> object:
    return node.value if isinstance(node, ast.Literal) else _MISSING


def arithmetic(op: str, left: object, right: object) -> object:
    """``left op right`` on numbers, as the IR's ``Arith``; ``None`` for null results."""
    if not (_is_number(left) and _is_number(right)):
        return None
    a, b = left, right
    if op == "+":
        return a + b  # type: ignore[operator]
    if op == "-":
        return a - b  # type: ignore[operator]
    if op == "*":
        return a * b  # type: ignore[operator]
    if b == 0:
        return None
    if isinstance(a, int) and isinstance(b, int):
        quotient = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return quotient if op == "/" else a - b * quotient
    return a / b if op == "/" else math.fmod(a, b)  # type: ignore[operator]


def compare(op: str, left: object, right: object) -> object:
    """``left op right`` on constants, or ``_MISSING`` when it is not foldable statically.

    ``== null`` and ``!= null`` test for null (as the lowering's ``IsNull``); ordering a null is
    null.
    """
    if left is None or right is None:
        if op == "==":
            return left is None and right is None
        if op == "!=":
            return not (left is None and right is None)
        return None
    if _is_number(left) and _is_number(right):
        pass
    elif type(left) is not type(right):
        return None if op not in ("==", "!=") else _MISSING
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    try:
        return {
            "<": left < right,  # type: ignore[operator]
            "<=": left <= right,  # type: ignore[operator]
            ">": left > right,  # type: ignore[operator]
            ">=": left >= right,  # type: ignore[operator]
        }[op]
    except TypeError:
        return _MISSING


class Folder:
    """Rebuilds a tree with constant subexpressions folded (one method per node kind).

    ``case_insensitive_equality``: string ``==`` / ``!=`` compare lowercased (Endgame).
    """

    case_insensitive_equality = False

    def fold(self, node: ast.Node) -> ast.Node:
        """The folded form of ``node`` (children first)."""
        changes = {}
        for field in attrs.fields(type(node)):  # type: ignore[arg-type]
            value = getattr(node, field.name)
            if isinstance(value, ast.Node):
                changes[field.name] = self.fold(value)
            elif isinstance(value, tuple) and value and isinstance(value[0], ast.Node):
                changes[field.name] = tuple(self.fold(v) for v in value)
        if changes:
            node = attrs.evolve(node, **changes)
        method = getattr(self, f"fold_{type(node).__name__.lower()}", None)
        return method(node) if method is not None else node

    def _literal(self, value: object, node: ast.Node) -> ast.Node:
        if value is _MISSING:
            return node
        if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
            return node
        return ast.Literal(value, span=node.span)  # type: ignore[arg-type]

    def fold_negate(self, node: ast.Negate) -> ast.Node:
        value = _constant(node.operand)
        if value is _MISSING:
            return node
        return self._literal(-value if _is_number(value) else None, node)  # type: ignore[operator]

    def fold_arithmetic(self, node: ast.Arithmetic) -> ast.Node:
        left, right = _constant(node.left), _constant(node.right)
        if left is _MISSING or right is _MISSING:
            return node
        return self._literal(arithmetic(node.op, left, right), node)

    def fold_comparison(self, node: ast.Comparison) -> ast.Node:
        left, right = _constant(node.left), _constant(node.right)
        if left is _MISSING or right is _MISSING:
            return node
        op = "==" if node.op == "=" else node.op
        if self.case_insensitive_equality and isinstance(left, str) and isinstance(right, str):
            return node  # wildcards and case folding: left to the lowering
        return self._literal(compare(op, left, right), node)

    def fold_not(self, node: ast.Not) -> ast.Node:
        value = _constant(node.operand)
        if value is None or isinstance(value, bool):
            return self._literal(None if value is None else not value, node)
        return node

    def fold_and(self, node: ast.And) -> ast.Node:
        return self._logic(node, absorbing=False)

    def fold_or(self, node: ast.Or) -> ast.Node:
        return self._logic(node, absorbing=True)

    def _logic(self, node: ast.And | ast.Or, *, absorbing: bool) -> ast.Node:
        values = (_constant(node.left), _constant(node.right))
        if _MISSING in values or not all(v is None or isinstance(v, bool) for v in values):
            return node
        if absorbing in values:
            return self._literal(absorbing, node)
        if None in values:
            return self._literal(None, node)
        return self._literal(not absorbing, node)


def fold(statement: ast.Statement, folder: type[Folder] = Folder) -> ast.Statement:
    """``statement`` with its constant subexpressions folded."""
    return folder().fold(statement)  # type: ignore[return-value]
