"""Predicate programs: a condition as nested tuples that the native evaluator runs without a
Python frame per predicate.

With the native speedups built, the python runtime emits most predicates as programs instead of
``def _pred_N`` functions: ``_pred_17 = ('_pred_17', (AND, (CMP, 'host.os.type', EQ, 'windows',
False), (IN, 'process.name', True, _S3, _S0, ())))``. ``call_candidates`` (C) runs a program
directly; only leaves the evaluator has no instruction for (regular expressions, functions,
arithmetic, comparisons of two computed values) call back into generated Python (``PY``).

Each node is evaluated *for a wanted truth value*, exactly as the generated Python's true and
false forms are (see :mod:`.generator`): ``and`` wanted true is all operands true, wanted false
any operand false; ``or`` the reverse; ``not`` wants the other value of its operand; a leaf
computes its three-valued result and compares, with the same short-circuits in the same order.
One difference from a function: ``call_candidates`` runs a program without first checking that
the event holds the fields it needs (a missing field makes its leaf null, which is cheaper to
find out there), so a program's Python leaf may run, and fault, on an event its function would
not have been called for; the hits are the same.

Instructions (first element of the node tuple):

* ``AND, node...`` / ``OR, node...`` / ``NOT, node``
* ``ISNULL, name``: the field is null, missing, or a list without a non-null value;
* ``CMP, name, op, literal, ci``: a field against a non-null literal (``op`` an index into
  :data:`OPS`; ``ci`` lowers string values, the literal is already lowered);
* ``IN, name, ci, strings, numbers, bools``: a field against literals split by kind;
* ``MATCH, name, ci, exact, prefixes, suffixes, contains, affixes, checks, any_string,
  globs, globs_regex``: a :class:`~kestrel_core.runtime.patterns.MatchPlan` (``checks``:
  callables ``str -> bool``, the plan's regular expression and large ``contains`` automaton;
  ``globs``: wildcards of no simpler shape, matched natively in at most len(text) *
  len(glob) steps; ``globs_regex``: the same wildcards as one RE2 matcher, used instead when
  a text is so long that this exceeds :data:`GLOB_BUDGET` steps);
* ``PY, function``: ``function(f, ff, e)`` returns ``True``, ``False`` or ``None``;
* ``CONST, value``: a constant (``True``, ``False`` or ``None``).

A list value is true when any non-null element is, false when every non-null element is false,
and null when it has none (the any-element rule of :mod:`kestrel_core.ir`).

:func:`run_py` is the pure-Python twin of the native evaluator; the tests run both against the
reference interpreter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kestrel_core import ir
from kestrel_core.events.fields import dotted_name
from kestrel_core.runtime import patterns
from kestrel_core.runtime.python.generator import FLIPPED, ExprGenerator, py_literal

if TYPE_CHECKING:
    from kestrel_core.runtime.python.module import ConstPool, Scope

AND, OR, NOT, ISNULL, CMP, IN, MATCH, PY, CONST = range(9)
#: Comparison operators of ``CMP``, by index.
OPS = ("==", "!=", "<", "<=", ">", ">=")
#: Deeper conditions stay generated Python (which hoists deep nesting into locals).
MAX_DEPTH = 40
#: Above len(text) * len(longest glob) steps, globs are matched by RE2 (linear in the text)
#: instead; the same number is compiled into kestrel_core/_speedups.c.
GLOB_BUDGET = 1 << 20


class NotAProgram(Exception):
    """The condition has a part a program cannot express (the predicate stays a function)."""


class ProgramBuilder:
    """Writes the source of one predicate's program.

    ``consts`` is the module's constant pool, ``new_scope`` makes the locals of one generated
    Python leaf function, ``functions`` receives those functions' source, ``paths`` the field
    paths the program reads (the module's flat view must hold them).
    """

    def __init__(
        self,
        consts: ConstPool,
        new_scope: Callable[[], Scope],
        functions: list[str],
        paths: dict[tuple, None],
        prefix: str,
    ) -> None:
        self.consts = consts
        self.new_scope = new_scope
        self.functions = functions
        self.paths = paths
        self.prefix = prefix
        self._leaves = 0

    def program(self, name: str, condition: ir.Expr) -> str:
        """``(name, root)`` as source; :class:`NotAProgram` when a part cannot be one (nothing
        is added to the module then)."""
        functions_before = len(self.functions)
        paths: dict[tuple, None] = {}
        try:
            root = self._node(condition, 0, paths)
        except NotAProgram:
            del self.functions[functions_before:]
            raise
        self.paths.update(paths)
        return f"({name!r}, {root})"

    # -- nodes --------------------------------------------------------------------------------

    def _node(self, node: ir.Expr, depth: int, paths: dict[tuple, None]) -> str:
        if depth > MAX_DEPTH:
            raise NotAProgram("too deep")
        if isinstance(node, (ir.And, ir.Or)):
            op = AND if isinstance(node, ir.And) else OR
            kids = [self._node(k, depth + 1, paths) for k in _flatten(node)]
            return f"({op}, {', '.join(kids)})"
        if isinstance(node, ir.Not):
            return f"({NOT}, {self._node(node.operand, depth + 1, paths)})"
        if isinstance(node, ir.Literal):
            value = node.value if type(node.value) is bool else None
            return f"({CONST}, {value!r})"
        if isinstance(node, ir.EventTime):
            return f"({CONST}, None)"
        leaf = self._leaf(node, paths)
        return leaf if leaf is not None else self._python_leaf(node, paths)

    def _field(self, expr: ir.Expr, paths: dict[tuple, None]) -> str | None:
        """The dotted name of a field the flat view can hold, else None."""
        if not isinstance(expr, ir.Field):
            return None
        name = dotted_name(expr.path)
        if name is not None:
            paths[expr.path] = None
        return name

    def _leaf(self, node: ir.Expr, paths: dict[tuple, None]) -> str | None:
        """A native instruction for ``node``, or None (it becomes a Python leaf)."""
        if isinstance(node, ir.IsNull):
            name = self._field(node.operand, paths)
            return None if name is None else f"({ISNULL}, {name!r})"
        if isinstance(node, ir.Compare):
            return self._compare(node, paths)
        if isinstance(node, ir.In):
            return self._in(node, paths)
        if isinstance(node, ir.Match):
            return self._match(node, paths)
        return None

    def _compare(self, node: ir.Compare, paths: dict[tuple, None]) -> str | None:
        left, right, op = node.left, node.right, node.op
        if isinstance(left, ir.Literal) and isinstance(right, ir.Field):
            left, right, op = right, left, FLIPPED[op]
        if not (isinstance(left, ir.Field) and isinstance(right, ir.Literal)):
            return None
        lit = right.value
        if lit is None:
            return f"({CONST}, None)"  # as the generated code: never true nor false
        if type(lit) not in (bool, int, float, str):
            return None
        name = self._field(left, paths)
        if name is None:
            return None
        ci = node.case_insensitive and type(lit) is str
        if ci:
            lit = lit.lower()
        return f"({CMP}, {name!r}, {OPS.index(op)}, {py_literal(lit)}, {ci})"

    def _in(self, node: ir.In, paths: dict[tuple, None]) -> str | None:
        if not all(isinstance(v, ir.Literal) for v in node.values):
            return None
        values = [v.value for v in node.values if v.value is not None]  # type: ignore[union-attr]
        if any(type(v) not in (bool, int, float, str) for v in values):
            return None
        name = self._field(node.operand, paths)
        if name is None:
            return None
        ci = node.case_insensitive
        strings = {v.lower() if ci else v for v in values if type(v) is str}
        numbers = {v for v in values if type(v) in (int, float) and v == v}  # noqa: PLR0124
        bools = tuple(dict.fromkeys(v for v in values if type(v) is bool))
        return (
            f"({IN}, {name!r}, {ci}, {self._frozen(strings)}, {self._frozen(numbers)}, "
            f"{bools!r})"
        )

    def _match(self, node: ir.Match, paths: dict[tuple, None]) -> str | None:
        name = self._field(node.operand, paths)
        if name is None:
            return None
        ci = node.case_insensitive
        plan = patterns.plan_match(node.kind, node.patterns, ci, globs=True)
        checks: list[str] = []
        contains = plan.contains
        if len(contains) > patterns.CONTAINS_AUTOMATON:
            checks.append(self.consts.add("_C", f"_contains_any({contains!r})"))
            contains = ()
        if plan.regex is not None:
            checks.append(self.consts.add("_R", f"_regex({plan.regex!r}, {plan.regex_ci})"))
        exact = self._frozen(set(plan.exact))
        affixes = tuple(plan.affixes)
        globs_regex = "None"
        if plan.globs:
            joined = "|".join(f"(?:{patterns.wildcard_to_re2(g)})" for g in plan.globs)
            globs_regex = self.consts.add("_R", f"_regex({joined!r}, False)")
        return (
            f"({MATCH}, {name!r}, {ci}, {exact}, {self._tuple(plan.prefixes)}, "
            f"{self._tuple(plan.suffixes)}, {self._tuple(contains)}, {self._tuple(affixes)}, "
            f"({''.join(c + ', ' for c in checks)}), {plan.any_string}, "
            f"{self._tuple(plan.globs)}, {globs_regex})"
        )

    def _python_leaf(self, node: ir.Expr, paths: dict[tuple, None]) -> str:
        """``PY``: a generated function computing the node's three-valued value."""
        scope = self.new_scope()
        gen = ExprGenerator(self.consts, scope)
        true_src, false_src = gen.true(node), gen.false(node)
        self._leaves += 1
        fn = f"_leaf_{self.prefix}_{self._leaves}"
        body = [*scope.loads, *scope.prelude,
                f"return True if {true_src} else (False if {false_src} else None)"]
        self.functions.append("\n".join([f"def {fn}(f, ff, e):", *("    " + b for b in body)]))
        paths.update(scope.paths)
        return f"({PY}, {fn})"

    # -- constants ----------------------------------------------------------------------------

    def _frozen(self, values: set[Any]) -> str:
        body = "".join(py_literal(v) + ", " for v in sorted(values, key=repr))
        return self.consts.add("_S", f"frozenset(({body}))")

    def _tuple(self, items: tuple) -> str:
        if len(items) <= 8:
            return repr(items)
        return self.consts.add("_T", repr(items))


def _flatten(node: ir.And | ir.Or) -> list[ir.Expr]:
    """The operands of a same-kind ``and``/``or`` chain."""
    out: list[ir.Expr] = []
    stack = list(reversed(node.operands))
    while stack:
        op = stack.pop()
        if type(op) is type(node):
            stack.extend(reversed(op.operands))  # type: ignore[union-attr]
        else:
            out.append(op)
    return out


# ---------------------------------------------------------------------------------------------
# The pure-Python evaluator (the twin of the native one in kestrel_core/_speedups.c)


def _lower(value: Any) -> Any:
    return value.lower() if type(value) is str else value


def _kind(value: Any) -> int:
    t = type(value)
    if t is bool:
        return 1
    if t is int or t is float:
        return 2
    if t is str:
        return 3
    return 4  # anything else: equal to no literal


def _cmp_one(a: Any, op: int, lit: Any, ci: bool) -> bool | None:
    if _kind(a) != _kind(lit):
        return False if op == 0 else True if op == 1 else None
    if type(a) is bool:
        return (a is lit) if op == 0 else (a is not lit) if op == 1 else None
    if ci:
        a = _lower(a)
    if op == 0:
        return a == lit
    if op == 1:
        return a != lit
    if op == 2:
        return a < lit
    if op == 3:
        return a <= lit
    if op == 4:
        return a > lit
    return a >= lit


def _in_one(a: Any, ci: bool, strings: frozenset, numbers: frozenset, bools: tuple) -> bool:
    t = type(a)
    if t is str:
        return (a.lower() if ci else a) in strings
    if t is bool:
        return any(a is b for b in bools)
    if t is int or t is float:
        return a in numbers
    return False


def _match_one(a: Any, node: tuple) -> bool:
    if type(a) is not str:
        return False
    (_op, _name, ci, exact, prefixes, suffixes, contains, affixes, checks, any_string, globs,
     globs_regex) = node
    if ci:
        a = a.lower()
    if any_string or a in exact:
        return True
    if prefixes and a.startswith(prefixes):
        return True
    if suffixes and a.endswith(suffixes):
        return True
    for c in contains:
        if c in a:
            return True
    for pre, suf in affixes:
        if len(a) >= len(pre) + len(suf) and a.startswith(pre) and a.endswith(suf):
            return True
    if globs:
        if len(a) * max(map(len, globs)) > GLOB_BUDGET:
            if globs_regex(a):
                return True
        elif any(patterns.glob_match(a, g) for g in globs):
            return True
    return any(check(a) for check in checks)


def _each(value: Any, test: Callable[[Any], bool | None]) -> bool | None:
    """The any-element rule over a scalar or a list."""
    if value is None:
        return None
    if type(value) is not list:
        return test(value)
    result = None
    for a in value:
        if a is None:
            continue
        r = test(a)
        if r is True:
            return True
        if r is False:
            result = False
    return result


def _leaf_value(node: tuple, f: Any, ff: dict, e: Any) -> bool | None:
    op = node[0]
    if op == PY:
        return node[1](f, ff, e)
    if op == CONST:
        return node[1]
    value = ff.get(node[1])
    if op == ISNULL:
        if type(value) is list:
            return all(v is None for v in value)
        return value is None
    if op == CMP:
        _op, _name, cmp, lit, ci = node
        return _each(value, lambda a: _cmp_one(a, cmp, lit, ci))
    if op == IN:
        _op, _name, ci, strings, numbers, bools = node
        return _each(value, lambda a: _in_one(a, ci, strings, numbers, bools))
    if op == MATCH:
        return _each(value, lambda a: _match_one(a, node))
    raise ValueError(f"not a program instruction: {op!r}")


def run_py(node: tuple, want: bool, f: Any, ff: dict, e: Any) -> bool:
    """Whether ``node`` evaluates to ``want`` on the event (``f`` its fields, ``ff`` its flat
    view, ``e`` the event)."""
    op = node[0]
    if op in (AND, OR):
        # and-true / or-false: every operand must give it; and-false / or-true: any one
        every = (op == AND) == want
        for kid in node[1:]:
            if run_py(kid, want, f, ff, e) is not every:
                return not every
        return every
    if op == NOT:
        return run_py(node[1], not want, f, ff, e)
    return _leaf_value(node, f, ff, e) is want
