"""AST -> :mod:`kestrel_core.ir`: one method per node kind, as a sqlglot generator.

Mapping (Elasticsearch semantics):

* ``a == b`` -> ``Compare("==", a, b)``; ``a == null`` -> ``IsNull(a)``; ``a != null`` ->
  ``Not(IsNull(a))``;
* ``a : "x"`` -> ``Compare("==", a, "x", case_insensitive=True)``; with a wildcard (``*``,
  ``?``) -> ``Match("wildcard", a, ("x*",), case_insensitive=True)``; a list without wildcards ->
  ``In(..., case_insensitive=True)``;
* ``like`` / ``like~`` -> ``Match("wildcard")``; ``regex`` / ``regex~`` -> ``Match("regex")``
  with each pattern already translated from Lucene to RE2 syntax (:mod:`kestrel_eql.regex`);
* ``in`` / ``in~`` -> ``In``; ``not in`` -> ``Not(In(...))``;
* functions -> ``Call`` with the lowercase canonical name; ``wildcard(f, p...)`` ->
  ``Match("wildcard")``, ``match``/``regex(f, p...)`` -> ``Match("regex")``, ``contains`` ->
  ``Call("stringcontains")``;
* ``@timestamp`` -> ``EventTime()``; compared with a constant, the constant becomes integer
  nanoseconds (ISO-8601 string, or a number of epoch milliseconds) and the comparison works at
  the constant's resolution (milliseconds, or the ISO fraction's digits): ``@timestamp == X``
  is ``X <= t < X + resolution``;
* query-level ``by`` keys are prepended to every step's keys (``until`` included); ``maxspan``
  becomes nanoseconds; ``| head N`` -> ``Pipe("head", (N,))``; other pipes keep their
  arguments as IR expressions; ``join`` -> ``JoinQuery``;
* ``descendant of [q]`` (``child of``, ``event of``) -> ``Lineage("descendant", q)``;
* array functions -> ``Call("arraysearch" | "arraycount", (array, condition JSON, outer...))``
  (see :func:`kestrel_core.runtime.functions.arraysearch`): inside the element condition the
  element variable reads ``Field(("$", ...))`` and every other field becomes an extra argument
  read as ``Field(("$outer", i))``; ``arrayContains(a, v...)`` -> ``In(a, (v...))``.

Run it on an analyzed (and folded) tree: it assumes the tree is valid.
"""

from __future__ import annotations

import json
import re

from kestrel_core import ir
from kestrel_core.ir_json import to_json
from kestrel_eql import ast
from kestrel_eql.functions import ELASTICSEARCH_SIGNATURES, Signature
from kestrel_eql.regex import translate
from kestrel_eql.timestamps import UNITS_NS, timestamp_ns

_WILDCARDS = ("*", "?")


def _has_wildcard(pattern: str) -> bool:
    return any(char in pattern for char in _WILDCARDS)


def _is_timestamp(node: ast.Expr) -> bool:
    return isinstance(node, ast.Field) and node.path == ("@timestamp",)


_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_FRACTION = re.compile(r"[T ]\d{2}:\d{2}:\d{2}[.,](\d+)")


def _precision_ns(value: object) -> int:
    """The resolution a timestamp literal is written in: milliseconds (as Elasticsearch date
    fields store them) unless an ISO-8601 literal spells out finer digits."""
    if isinstance(value, str):
        fraction = _FRACTION.search(value)
        if fraction is not None and len(fraction.group(1)) > 3:
            return 10 ** max(0, 9 - len(fraction.group(1)))
    return 1_000_000


def _time_compare(op: str, value: object) -> ir.Expr:
    """``@timestamp OP literal`` at the literal's resolution.

    ``@timestamp == 1516116808349`` must match an event at ...349.437 ms, as Elasticsearch,
    which stores the time in milliseconds, does; so ``==`` becomes the range
    ``[t, t + resolution)`` and the other operators move their bound accordingly.
    """
    start = timestamp_ns(value)
    end = start + _precision_ns(value)
    now = ir.EventTime()
    if op == "==":
        return ir.And(
            (ir.Compare(">=", now, ir.Literal(start)), ir.Compare("<", now, ir.Literal(end)))
        )
    if op == "!=":
        return ir.Not(_time_compare("==", value))
    if op == "<":
        return ir.Compare("<", now, ir.Literal(start))
    if op == "<=":
        return ir.Compare("<", now, ir.Literal(end))
    if op == ">":
        return ir.Compare(">=", now, ir.Literal(end))
    return ir.Compare(">=", now, ir.Literal(start))


class Lowerer:
    """Turns an :class:`ast.Statement` into an :class:`ir.Query` (Elasticsearch semantics).

    Inside an array function's element condition a lowerer is created with ``variable`` (the
    element's name) and ``parent`` (the lowerer of the enclosing scope), see :meth:`scoped`.
    """

    #: Known functions by lowercase name (the analyzer has checked calls against the same).
    signatures: dict[str, Signature] = ELASTICSEARCH_SIGNATURES
    #: ``case_insensitive`` of ``in`` and of the functions that have a ``~`` form, by default.
    default_case_insensitive = False

    def __init__(self, variable: str | None = None, parent: Lowerer | None = None) -> None:
        self.variable = variable
        self.parent = parent
        #: Outer values an element condition reads, as IR of the enclosing scope.
        self.outer: list[ir.Expr] = []

    def scoped(self, variable: str) -> Lowerer:
        """A lowerer for the element condition of an array function over ``variable``."""
        return type(self)(variable, self)

    def lower(self, statement: ast.Statement) -> ir.Query:
        """The IR of a whole statement."""
        query = statement.query
        if isinstance(query, ast.EventFilter):
            body: ir.QueryBody = self.event_query(query)
        elif isinstance(query, ast.Sequence):
            body = self.sequence(query)
        elif isinstance(query, ast.Join):
            body = self.join(query)
        else:
            body = self.sample(query)
        return ir.Query(body, tuple(self.pipe(p) for p in statement.pipes))

    # -- queries ----------------------------------------------------------------------------

    def event_query(self, node: ast.EventFilter) -> ir.EventQuery:
        return ir.EventQuery(node.category, self.expr(node.condition))

    def step(self, node: ast.Step, query_keys: tuple[ast.Expr, ...]) -> ir.Step:
        keys = tuple(self.expr(k) for k in (*query_keys, *node.keys))
        return ir.Step(self.event_query(node.filter), keys, node.runs or 1, node.missing)

    def sequence(self, node: ast.Sequence) -> ir.SequenceQuery:
        maxspan = None
        if node.maxspan is not None:
            maxspan = int(node.maxspan.value) * UNITS_NS[node.maxspan.unit or "s"]
        until = self.step(node.until, node.keys) if node.until is not None else None
        steps = tuple(self.step(s, node.keys) for s in node.steps)
        return ir.SequenceQuery(steps, maxspan, until)

    def join(self, node: ast.Join) -> ir.JoinQuery:
        until = self.step(node.until, node.keys) if node.until is not None else None
        return ir.JoinQuery(tuple(self.step(s, node.keys) for s in node.steps), until)

    def sample(self, node: ast.Sample) -> ir.SampleQuery:
        return ir.SampleQuery(tuple(self.step(s, node.keys) for s in node.steps))

    def pipe(self, node: ast.Pipe) -> ir.Pipe:
        args = tuple(a.value if isinstance(a, ast.Literal) else self.expr(a) for a in node.args)
        return ir.Pipe(node.name, args)

    # -- expressions ------------------------------------------------------------------------

    def expr(self, node: ast.Expr) -> ir.Expr:
        """The IR of an expression; a node kind without a method fails loudly with its name."""
        method = getattr(self, f"{type(node).__name__.lower()}_ir", None)
        if method is None:
            raise NotImplementedError(f"cannot lower {type(node).__name__} to the IR")
        return method(node)

    def literal_ir(self, node: ast.Literal) -> ir.Expr:
        return ir.Literal(node.value)

    def field_ir(self, node: ast.Field) -> ir.Expr:
        if self.parent is not None:  # inside an array function's element condition
            if node.path[0] == self.variable:
                return ir.Field(("$", *node.path[1:]), node.optional)
            value = self.parent.field_ir(node)
            if value not in self.outer:
                self.outer.append(value)
            return ir.Field(("$outer", self.outer.index(value)))
        if _is_timestamp(node):
            return ir.EventTime()
        return self.plain_field(node)

    def plain_field(self, node: ast.Field) -> ir.Expr:
        """A field of the event (the Endgame dialect reads enum fields here)."""
        return ir.Field(node.path, node.optional)

    def lineage_ir(self, node: ast.Lineage) -> ir.Expr:
        inner = type(self)()  # the related event is another event: no element in scope
        return ir.Lineage(node.relation.lower(), inner.event_query(node.query))  # type: ignore[arg-type]

    def _operand(self, node: ast.Expr, other: ast.Expr) -> ir.Expr:
        """``node`` as a comparison operand; a constant facing ``@timestamp`` becomes ns."""
        if _is_timestamp(other) and isinstance(node, ast.Literal) and node.value is not None:
            return ir.Literal(timestamp_ns(node.value))
        return self.expr(node)

    def comparison_ir(self, node: ast.Comparison) -> ir.Expr:
        left, right = node.left, node.right
        for value, other in ((right, left), (left, right)):
            if isinstance(value, ast.Literal) and value.value is None and node.op in ("==", "!="):
                test = ir.IsNull(self.expr(other))
                return test if node.op == "==" else ir.Not(test)
        for value, other, op in ((right, left, node.op), (left, right, _FLIPPED[node.op])):
            if _is_timestamp(other) and isinstance(value, ast.Literal):
                return _time_compare(op, value.value)
        return ir.Compare(
            node.op,  # type: ignore[arg-type]
            self._operand(left, right),
            self._operand(right, left),
        )

    def patternmatch_ir(self, node: ast.PatternMatch) -> ir.Expr:
        operand = self.expr(node.operand)
        if node.op == ":" and not all(isinstance(p.value, str) for p in node.patterns):
            return self._colon_constants(node, operand)
        patterns = tuple(str(p.value) for p in node.patterns)
        if node.op == "regex":
            return ir.Match(
                "regex", operand, tuple(translate(p) for p in patterns), node.case_insensitive
            )
        if node.op == ":" and not any(_has_wildcard(p) for p in patterns):
            if len(patterns) == 1:
                return ir.Compare("==", operand, ir.Literal(patterns[0]), case_insensitive=True)
            return ir.In(operand, tuple(ir.Literal(p) for p in patterns), case_insensitive=True)
        return ir.Match("wildcard", operand, patterns, node.case_insensitive)

    def _colon_constants(self, node: ast.PatternMatch, operand: ir.Expr) -> ir.Expr:
        """``x : 0``, ``x : null``: ``:`` with non-string constants is an equality test."""
        tests: list[ir.Expr] = []
        for pattern in node.patterns:
            if pattern.value is None:
                tests.append(ir.IsNull(operand))
            elif isinstance(pattern.value, str) and _has_wildcard(pattern.value):
                tests.append(ir.Match("wildcard", operand, (pattern.value,), True))
            else:
                tests.append(ir.Compare("==", operand, ir.Literal(pattern.value), True))
        return tests[0] if len(tests) == 1 else ir.Or(tuple(tests))

    def inlist_ir(self, node: ast.InList) -> ir.Expr:
        operand = self.expr(node.operand)
        values = tuple(self._operand(v, node.operand) for v in node.values)
        test = ir.In(operand, values, node.case_insensitive or self.default_case_insensitive)
        return ir.Not(test) if node.negated else test

    def and_ir(self, node: ast.And) -> ir.Expr:
        return ir.And(self._flatten(node, ast.And))

    def or_ir(self, node: ast.Or) -> ir.Expr:
        return ir.Or(self._flatten(node, ast.Or))

    def _flatten(self, node: ast.Expr, kind: type) -> tuple[ir.Expr, ...]:
        if isinstance(node, kind):
            return self._flatten(node.left, kind) + self._flatten(node.right, kind)  # type: ignore[attr-defined]
        return (self.expr(node),)

    def not_ir(self, node: ast.Not) -> ir.Expr:
        return ir.Not(self.expr(node.operand))

    def arithmetic_ir(self, node: ast.Arithmetic) -> ir.Expr:
        return ir.Arith(node.op, self.expr(node.left), self.expr(node.right))  # type: ignore[arg-type]

    def negate_ir(self, node: ast.Negate) -> ir.Expr:
        return ir.Neg(self.expr(node.operand))

    def functioncall_ir(self, node: ast.FunctionCall) -> ir.Expr:
        sig = self.signatures[node.canonical]
        ci = node.case_insensitive or (self.default_case_insensitive and sig.insensitive)
        if sig.lowers_to.startswith("array:"):
            return self.array_call(node, sig.lowers_to.split(":")[1])
        if sig.lowers_to == "safe":
            return self.expr(node.args[0])
        if sig.lowers_to.startswith("match:python"):
            source, patterns = node.args[0], node.args[1:]
            if sig.lowers_to == "match:python_first":
                source, patterns = node.args[1], node.args[:1]
            anchored = tuple(_python_regex(str(p.value)) for p in patterns)  # type: ignore[union-attr]
            return ir.Match("regex", self.expr(source), anchored, ci)
        args = tuple(self.expr(a) for a in node.args)
        if sig.lowers_to.startswith("match:"):
            kind = sig.lowers_to.split(":")[1]
            patterns = tuple(str(a.value) for a in node.args[1:])  # type: ignore[union-attr]
            if kind == "regex":
                patterns = tuple(translate(p) for p in patterns)
            return ir.Match(kind, args[0], patterns, ci)  # type: ignore[arg-type]
        return ir.Call(sig.lowers_to, args, ci)

    def array_call(self, node: ast.FunctionCall, kind: str) -> ir.Expr:
        """``arraySearch`` / ``arrayCount`` / ``arrayContains`` and the ``_`` forms."""
        array = self.expr(node.args[0])
        if kind == "contains":
            values = tuple(self.expr(a) for a in node.args[1:])
            return ir.In(array, values, self.default_case_insensitive)
        variable = node.args[1].path[0]  # type: ignore[union-attr]
        inner = self.scoped(str(variable))
        condition = inner.expr(node.args[2])
        text = json.dumps(to_json(condition), separators=(",", ":"))
        name = "arraysearch" if kind == "search" else "arraycount"
        return ir.Call(name, (array, ir.Literal(text), *inner.outer))


def _python_regex(pattern: str) -> str:
    """An Endgame ``match`` pattern (Python syntax, matched from the start like ``re.match``)
    as a whole-string RE2 pattern."""
    return f"(?:{pattern})(?s:.*)"


def lower(statement: ast.Statement) -> ir.Query:
    """The :class:`kestrel_core.ir.Query` of an analyzed statement."""
    return Lowerer().lower(statement)
