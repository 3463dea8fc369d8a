"""IR expressions -> Python source, one method per IR node kind (``compare_py`` for ``Compare``).

Null logic is compiled both ways: every condition has a *true* form (a Python expression that is
truthy exactly when the IR value is ``True``) and a *false* form (truthy exactly when it is
``False``); null is neither. ``Not`` swaps them, ``And`` is all-true / any-false, ``Or``
any-true / all-false, so three-valued logic costs no tuples, only the ``is not None`` a false form
needs. A *value* form computes the value itself for arithmetic, calls and generic comparisons.

The fast path is a field against a literal: ``v3 == 'cmd.exe'``, ``l3.endswith(('\\\\a.exe',
'\\\\b.exe'))``. A list (multi-valued field) fails the cheap type test and falls to a helper that
applies the any-element rule. Conditions nested deeper than :attr:`ExprGenerator.max_depth` are
computed into locals first ("hoisted") so Python's parser never sees deep nesting.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kestrel_core import ir
from kestrel_core.errors import CompileError
from kestrel_core.runtime import functions, patterns

if TYPE_CHECKING:
    from kestrel_core.runtime.python.module import ConstPool, Scope

TRUE, FALSE, VALUE = "true", "false", "value"
#: An operator with its operands swapped (``1 < x`` is ``x > 1``).
FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
#: Up to this many values an ``in`` set or pattern tuple is written inline.
INLINE_LIMIT = 8


def py_literal(value: Any) -> str:
    """Python source for a scalar literal (``float('nan')`` for non-finite floats)."""
    if type(value) is float and not math.isfinite(value):
        return f"float({str(value)!r})"
    return repr(value)


_CONDITIONS = (ir.And, ir.Or, ir.Not, ir.Compare, ir.In, ir.Match, ir.IsNull)


def _children(node: ir.Expr) -> tuple[ir.Expr, ...]:
    """The direct sub-expressions of a node."""
    if isinstance(node, (ir.Compare, ir.Arith)):
        return (node.left, node.right)
    if isinstance(node, (ir.And, ir.Or)):
        return node.operands
    if isinstance(node, (ir.Not, ir.Neg, ir.IsNull, ir.Match)):
        return (node.operand,)
    if isinstance(node, ir.In):
        return (node.operand, *node.values)
    if isinstance(node, ir.Call):
        return node.args
    return ()


def _kind(value: Any) -> str:
    if type(value) is bool:
        return "bool"
    if type(value) in (int, float):
        return "number"
    return "string" if type(value) is str else "other"


class ExprGenerator:
    """Generates the Python source of one predicate's condition inside one generated function.

    ``scope`` owns the function's locals (field loads, lowercased values, hoisted conditions);
    ``consts`` owns module-level constants (patterns, sets, automata).
    """

    max_depth = 25

    def __init__(self, consts: ConstPool, scope: Scope) -> None:
        self.consts = consts
        self.scope = scope
        self._hoisted: dict[int, tuple[str, str]] = {}

    # -- entry points -------------------------------------------------------------------------

    def true(self, node: ir.Expr) -> str:
        """A Python expression truthy exactly when ``node`` is ``True``."""
        self._hoist_deep(node)
        return self.gen(node, TRUE)

    def false(self, node: ir.Expr) -> str:
        """A Python expression truthy exactly when ``node`` is ``False``."""
        self._hoist_deep(node)
        return self.gen(node, FALSE)

    def value(self, node: ir.Expr) -> str:
        """A Python expression computing ``node``'s value."""
        return self.gen(node, VALUE)

    def gen(self, node: ir.Expr, mode: str) -> str:
        """Dispatch to ``<kind>_py`` (or use the locals of a hoisted condition)."""
        hoisted = self._hoisted.get(id(node))
        if hoisted is not None and mode != VALUE:
            return hoisted[0] if mode == TRUE else hoisted[1]
        method = getattr(self, f"{type(node).__name__.lower()}_py", None)
        if method is None:
            raise CompileError(f"the python runtime has no code for IR node {type(node).__name__}")
        return method(node, mode)

    def _hoist_deep(self, root: ir.Expr) -> None:
        """Hoist every condition whose nesting height is a multiple of :attr:`max_depth`,
        deepest first, so generating any node recurses at most about twice that deep.
        Same-kind ``and``/``or`` chains are flattened, so they add no height."""
        heights: dict[int, int] = {}
        order: list[ir.Expr] = []
        stack: list[tuple[ir.Expr, bool]] = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                chain = isinstance(node, (ir.And, ir.Or))
                heights[id(node)] = max(
                    (heights[id(k)] + (0 if chain and type(k) is type(node) else 1)
                     for k in _children(node)),
                    default=0,
                )
                order.append(node)
            elif id(node) not in heights:
                stack.append((node, True))
                stack.extend((k, False) for k in _children(node))
        for node in order:  # post-order: children before parents
            h = heights[id(node)]
            if (
                node is not root
                and h
                and h % self.max_depth == 0
                and isinstance(node, _CONDITIONS)
                and id(node) not in self._hoisted
            ):
                true_src, false_src = self.gen(node, TRUE), self.gen(node, FALSE)
                self._hoisted[id(node)] = self.scope.hoist(true_src, false_src)

    def _three(self, node: ir.Expr) -> str:
        """The value of a condition node from its two forms."""
        return f"(True if {self.true(node)} else (False if {self.false(node)} else None))"

    @staticmethod
    def _is(value_src: str, mode: str) -> str:
        return f"({value_src} is True)" if mode == TRUE else f"({value_src} is False)"

    # -- leaves -------------------------------------------------------------------------------

    def literal_py(self, node: ir.Literal, mode: str) -> str:
        """A constant."""
        if mode == VALUE:
            return py_literal(node.value)
        wanted = mode == TRUE
        return "True" if node.value is wanted else "False"

    def field_py(self, node: ir.Field, mode: str) -> str:
        """A field load: a local of the function, loaded once."""
        name = self.scope.field(node.path)
        return name if mode == VALUE else self._is(name, mode)

    def eventtime_py(self, node: ir.EventTime, mode: str) -> str:
        """The event's timestamp."""
        return "e.timestamp" if mode == VALUE else "False"

    # -- logic --------------------------------------------------------------------------------

    def _flat(self, node: ir.And | ir.Or) -> list[ir.Expr]:
        out: list[ir.Expr] = []
        stack = list(reversed(node.operands))
        while stack:
            op = stack.pop()
            if type(op) is type(node) and id(op) not in self._hoisted:
                stack.extend(reversed(op.operands))  # type: ignore[union-attr]
            else:
                out.append(op)
        return out

    def and_py(self, node: ir.And, mode: str) -> str:
        """All true is true; any false is false."""
        if mode == VALUE:
            return self._three(node)
        joiner = " and " if mode == TRUE else " or "
        return "(" + joiner.join(self.gen(op, mode) for op in self._flat(node)) + ")"

    def or_py(self, node: ir.Or, mode: str) -> str:
        """Any true is true; all false is false."""
        if mode == VALUE:
            return self._three(node)
        joiner = " or " if mode == TRUE else " and "
        return "(" + joiner.join(self.gen(op, mode) for op in self._flat(node)) + ")"

    def not_py(self, node: ir.Not, mode: str) -> str:
        """The false form of the operand is the true form of its negation."""
        if mode == VALUE:
            return self._three(node)
        return self.gen(node.operand, FALSE if mode == TRUE else TRUE)

    def isnull_py(self, node: ir.IsNull, mode: str) -> str:
        """Null or missing (a list without values counts as null); never null itself."""
        if isinstance(node.operand, ir.Field):
            x = self.scope.field(node.operand.path)
            test = f"({x} is None or (type({x}) is list and _isnull({x})))"
        else:
            test = f"_isnull({self.value(node.operand)})"
        if mode == VALUE:
            return test
        return test if mode == TRUE else f"(not {test})"

    # -- comparisons --------------------------------------------------------------------------

    def compare_py(self, node: ir.Compare, mode: str) -> str:
        """``left OP right``; a field against a literal is inlined."""
        if mode == VALUE:
            return self._three(node)
        left, right, op = node.left, node.right, node.op
        if isinstance(left, ir.Literal) and isinstance(right, ir.Field):
            left, right, op = right, left, FLIPPED[op]
        if isinstance(left, ir.Field) and isinstance(right, ir.Literal):
            return self._field_vs_literal(op, left.path, right.value, node.case_insensitive, mode)
        call = (
            f"_cmp({op!r}, {self.value(node.left)}, {self.value(node.right)}, "
            f"{node.case_insensitive})"
        )
        return self._is(call, mode)

    def _field_vs_literal(self, op: str, path: tuple, lit: Any, ci: bool, mode: str) -> str:
        kind = _kind(lit)
        if lit is None:
            return "False"
        if kind == "other":
            raise CompileError(f"unsupported literal {lit!r}")
        if kind == "string" and ci:
            lit, x = lit.lower(), self.scope.lowered(path)
        else:
            x = self.scope.field(path)
        lit_src = py_literal(lit)
        in_list = f"_cmp_list({x}, {op!r}, {lit_src})"
        if op in ("==", "!="):
            if kind == "bool":
                eq = f"{x} is {lit_src}"
            elif kind == "number":
                eq = f"({x} == {lit_src} and type({x}) is not bool)"
            else:
                eq = f"{x} == {lit_src}"
            def same(tag: str) -> str:
                if tag == "True" and kind == "string":
                    # an element equal to a string literal is a string: list membership
                    return f"({eq} or (type({x}) is list and {lit_src} in {x}))"
                return f"({eq} or (type({x}) is list and {in_list} is {tag}))"

            def differs(tag: str) -> str:
                return (
                    f"({x} is not None and not {eq} and "
                    f"(type({x}) is not list or {in_list} is {tag}))"
                )

            if op == "==":
                return same("True") if mode == TRUE else differs("False")
            return differs("True") if mode == TRUE else same("False")
        if kind == "bool":
            return "False"  # ordering booleans is null
        guard = f"type({x}) is str" if kind == "string" else f"type({x}) in (int, float)"
        if mode == TRUE:
            return (
                f"(({guard} and {x} {op} {lit_src}) or (type({x}) is list and {in_list} is True))"
            )
        return (
            f"(({guard} and not {x} {op} {lit_src}) or (type({x}) is list and {in_list} is False))"
        )

    def in_py(self, node: ir.In, mode: str) -> str:
        """``operand in (values)``; a field against literals is a set membership test."""
        if mode == VALUE:
            return self._three(node)
        ci = node.case_insensitive
        if not (
            isinstance(node.operand, ir.Field)
            and all(isinstance(v, ir.Literal) for v in node.values)
        ):
            values = "".join(self.value(v) + ", " for v in node.values)
            return self._is(f"_in({self.value(node.operand)}, ({values}), {ci})", mode)
        values = [v.value for v in node.values if v.value is not None]  # type: ignore[union-attr]
        if any(_kind(v) == "other" for v in values):
            raise CompileError("unsupported literal in 'in'")
        if ci:
            values = [v.lower() if type(v) is str else v for v in values]
        values = list(dict.fromkeys((type(v), v) for v in values))  # type: ignore[arg-type]
        values = [v for _t, v in values]  # type: ignore[misc]
        strings = [v for v in values if _kind(v) == "string"]
        numbers = [v for v in values if _kind(v) == "number" and v == v]  # noqa: PLR0124 - NaN
        bools = [v for v in values if _kind(v) == "bool"]
        path = node.operand.path
        x = self.scope.lowered(path) if ci and strings else self.scope.field(path)
        parts = []
        if strings:
            parts.append(f"(type({x}) is str and {x} in {self._set(strings)})")
        if numbers:
            parts.append(f"(type({x}) in (int, float) and {x} in {self._set(numbers)})")
        parts.extend(f"{x} is {b!r}" for b in dict.fromkeys(bools))
        member = "(" + " or ".join(parts) + ")" if parts else "False"
        sets = (
            self._frozen(strings),
            self._frozen(numbers),
            "(" + "".join(f"{b!r}, " for b in dict.fromkeys(bools)) + ")",
        )
        cands = ", ".join(sets)
        if mode == TRUE:
            return f"({member} or (type({x}) is list and _in_list_sets({x}, {cands}) is True))"
        return (
            f"({x} is not None and not {member} and "
            f"(type({x}) is not list or _in_list_sets({x}, {cands}) is False))"
        )

    def _frozen(self, values: list[Any]) -> str:
        """A module constant: the frozenset of ``values``."""
        body = "".join(py_literal(v) + ", " for v in sorted(values, key=repr))
        return self.consts.add("_S", f"frozenset(({body}))")

    def _set(self, values: list[Any]) -> str:
        body = "{" + ", ".join(py_literal(v) for v in sorted(values, key=repr)) + "}"
        if len(values) <= INLINE_LIMIT:
            return body  # `x in {...}` compiles to a frozenset constant
        return self.consts.add("_S", f"frozenset({body})")

    def match_py(self, node: ir.Match, mode: str) -> str:
        """Wildcards and regular expressions, through :func:`patterns.plan_match`."""
        if mode == VALUE:
            return self._three(node)
        ci = node.case_insensitive
        plan = patterns.plan_match(node.kind, node.patterns, ci)
        checker = self.consts.add("_m", f"lambda s: {self._plan(plan, 's')}")
        if not isinstance(node.operand, ir.Field):
            return self._is(f"_match({self.value(node.operand)}, {checker}, {ci})", mode)
        path = node.operand.path
        x = self.scope.lowered(path) if ci else self.scope.field(path)
        scalar = f"(type({x}) is str and {self._plan(plan, x)})"
        if mode == TRUE:
            return f"({scalar} or (type({x}) is list and _match_list({x}, {checker}) is True))"
        return (
            f"({x} is not None and not {scalar} and "
            f"(type({x}) is not list or _match_list({x}, {checker}) is False))"
        )

    def _plan(self, plan: patterns.MatchPlan, s: str) -> str:
        """A boolean expression over the string in variable ``s``."""
        if plan.any_string:
            return "True"
        parts: list[str] = []
        if len(plan.exact) == 1:
            parts.append(f"{s} == {next(iter(plan.exact))!r}")
        elif plan.exact:
            parts.append(f"{s} in {self._set(list(plan.exact))}")
        for method, items in (("startswith", plan.prefixes), ("endswith", plan.suffixes)):
            if len(items) == 1:
                parts.append(f"{s}.{method}({items[0]!r})")
            elif len(items) <= INLINE_LIMIT and items:
                parts.append(f"{s}.{method}({items!r})")
            elif items:
                parts.append(f"{s}.{method}({self.consts.add('_T', repr(items))})")
        if len(plan.contains) > patterns.CONTAINS_AUTOMATON:
            finder = self.consts.add("_C", f"_contains_any({plan.contains!r})")
            parts.append(f"{finder}({s})")
        else:
            parts.extend(f"{c!r} in {s}" for c in plan.contains)
        for pre, suf in plan.affixes:
            parts.append(
                f"(len({s}) >= {len(pre) + len(suf)} and {s}.startswith({pre!r}) "
                f"and {s}.endswith({suf!r}))"
            )
        if plan.regex is not None:
            regex = self.consts.add("_R", f"_regex({plan.regex!r}, {plan.regex_ci})")
            parts.append(f"{regex}({s})")
        return "(" + " or ".join(parts) + ")" if parts else "False"

    # -- values -------------------------------------------------------------------------------

    def arith_py(self, node: ir.Arith, mode: str) -> str:
        """Arithmetic through :func:`functions.arith` (null on non-numbers)."""
        src = f"_arith({node.op!r}, {self.value(node.left)}, {self.value(node.right)})"
        return src if mode == VALUE else self._is(src, mode)

    def neg_py(self, node: ir.Neg, mode: str) -> str:
        """Unary minus."""
        src = f"_neg({self.value(node.operand)})"
        return src if mode == VALUE else self._is(src, mode)

    def call_py(self, node: ir.Call, mode: str) -> str:
        """A function of :mod:`kestrel_core.runtime.functions`."""
        problem = functions.check_arity(node.name, len(node.args))
        if problem:
            raise CompileError(problem)
        blocks = node.args[1:]
        if node.name == "cidrmatch" and all(
            isinstance(b, ir.Literal) and type(b.value) is str for b in blocks
        ):
            cidrs = tuple(b.value for b in blocks)  # type: ignore[union-attr]
            matcher = self.consts.add("_CIDR", f"_cidr_blocks({cidrs!r})")
            src = f"{matcher}({self.value(node.args[0])})"
            return src if mode == VALUE else self._is(src, mode)
        args = "".join(", " + self.value(a) for a in node.args)
        src = f"_f_{node.name}({node.case_insensitive}{args})"
        return src if mode == VALUE else self._is(src, mode)
