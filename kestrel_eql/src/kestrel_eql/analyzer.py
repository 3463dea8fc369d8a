"""Semantic checks of an EQL syntax tree (Elasticsearch rules), with located errors.

What is checked: functions (known, arity, argument kinds, ``~`` support), patterns of ``:``,
``like`` and ``regex`` (string constants; regexes valid and runnable by RE2), ordering
comparisons between a string and a number constant, sequences and samples (at least two steps,
a positive step, join keys of equal count, ``maxspan`` required by missing events and written
as a positive whole number with a unit, ``with runs`` from 1 to 100), pipes (``head``/``tail``
with one non-negative whole number), ``@timestamp`` constants, and constructs of other dialects
Kestrel does not run (lineage, array functions, step aliases), reported as
:class:`EqlUnsupportedError` naming the construct.
"""

from __future__ import annotations

import difflib

from kestrel_eql import ast
from kestrel_eql.errors import EqlSemanticError, EqlUnsupportedError, locate
from kestrel_eql.functions import ANY, BOOLEAN, NUMBER, SIGNATURES, STRING, UNSUPPORTED
from kestrel_eql.regex import RegexError, translate
from kestrel_eql.timestamps import UNITS_NS, timestamp_ns

MAX_RUNS = 100
SUPPORTED_PIPES = ("head", "tail")


def kind_of(node: ast.Expr) -> str:
    """The value kind an expression has, when it can be seen without data."""
    if isinstance(node, ast.Literal):
        value = node.value
        if value is None:
            return ANY
        if isinstance(value, bool):
            return BOOLEAN
        return STRING if isinstance(value, str) else NUMBER
    if isinstance(node, (ast.Comparison, ast.PatternMatch, ast.InList, ast.And, ast.Or)):
        return BOOLEAN
    if isinstance(node, (ast.Not, ast.Lineage)):
        return BOOLEAN
    if isinstance(node, (ast.Arithmetic, ast.Negate)):
        return NUMBER
    if isinstance(node, ast.FunctionCall):
        sig = SIGNATURES.get(node.canonical)
        return sig.returns if sig else ANY
    return ANY


def _describe(node: ast.Expr) -> str:
    if isinstance(node, ast.Literal):
        kind = kind_of(node)
        return f"the {kind} {node.value!r}" if kind != ANY else "null"
    return f"a {kind_of(node)}"


class Analyzer:
    """Checks one statement; ``text`` and ``source`` only serve the error locations."""

    def __init__(self, text: str | None = None, source: str | None = None) -> None:
        self.text = text
        self.source = source

    # -- errors -----------------------------------------------------------------------------

    def error(self, message: str, node: ast.Node | ast.Span | None) -> EqlSemanticError:
        span = node if isinstance(node, ast.Span) or node is None else node.span
        return EqlSemanticError(message, locate(span, self.text, self.source))

    def unsupported(self, message: str, node: ast.Node, construct: str) -> EqlUnsupportedError:
        return EqlUnsupportedError(
            message, locate(node.span, self.text, self.source), construct=construct
        )

    # -- statement and queries --------------------------------------------------------------

    def check(self, statement: ast.Statement) -> None:
        """Raise the first :class:`EqlSemanticError` found in ``statement``, if any."""
        query = statement.query
        if isinstance(query, ast.EventFilter):
            self.event_filter(query)
        elif isinstance(query, ast.Sequence):
            self.sequence(query)
        else:
            self.sample(query)
        for pipe in statement.pipes:
            self.pipe(pipe)

    def event_filter(self, node: ast.EventFilter) -> None:
        self.expr(node.condition)

    def sequence(self, node: ast.Sequence) -> None:
        if node.maxspan is not None:
            self.maxspan(node.maxspan)
        steps = [*node.steps, *([node.until] if node.until else [])]
        for step in steps:
            self.step(step, node.keys)
        if node.until is not None and node.until.missing:
            raise self.error("an 'until' step cannot be a missing event ('![')", node.until)
        total = sum(step.runs or 1 for step in node.steps)
        if total < 2:
            raise self.error(f"a sequence needs at least 2 steps, found {total}", node.steps[0])
        if all(step.missing for step in node.steps):
            raise self.error(
                "a sequence needs at least one step that is not a missing event ('![')", node
            )
        missing = next((step for step in node.steps if step.missing), None)
        if missing is not None and node.maxspan is None:
            raise self.error(
                "a sequence with a missing event ('![') needs 'with maxspan=...'", missing
            )
        self.same_key_counts(node.keys, steps)

    def sample(self, node: ast.Sample) -> None:
        for step in node.steps:
            if step.missing:
                raise self.error("a sample cannot have a missing event ('![')", step)
            if step.runs is not None:
                raise self.error("'with runs' is for sequences, not samples", step)
            self.step(step, node.keys)
        if len(node.steps) < 2:
            raise self.error(
                f"a sample needs at least 2 steps, found {len(node.steps)}", node.steps[0]
            )
        self.same_key_counts(node.keys, node.steps)

    def step(self, step: ast.Step, query_keys: tuple[ast.Expr, ...]) -> None:
        if step.alias is not None:
            raise self.unsupported(
                f"step aliases ('as {step.alias}') are not supported", step, "step alias (as)"
            )
        if step.runs is not None and not 1 <= step.runs <= MAX_RUNS:
            raise self.error(
                f"'with runs' must be between 1 and {MAX_RUNS}, found {step.runs}", step
            )
        self.event_filter(step.filter)
        for key in (*query_keys, *step.keys):
            self.expr(key)

    def same_key_counts(self, query_keys: tuple[ast.Expr, ...], steps: list[ast.Step]) -> None:
        expected = len(steps[0].keys)
        for step in steps[1:]:
            if len(step.keys) != expected:
                where = step.keys[0] if step.keys else step
                raise self.error(
                    f"every step needs the same number of 'by' keys: expected {expected} "
                    f"but found {len(step.keys)}",
                    where,
                )

    def maxspan(self, node: ast.TimeSpan) -> None:
        if not isinstance(node.value, int):
            raise self.error(
                f"maxspan takes a whole number, not {node.value}: write e.g. 1500ms", node
            )
        if node.value <= 0:
            raise self.error(f"maxspan must be positive, found {node.value}", node)
        if node.unit is None:
            raise self.error(
                f"maxspan needs a time unit: did you mean {node.value}s? "
                f"(units: {', '.join(UNITS_NS)})",
                node,
            )
        if node.unit not in UNITS_NS:
            raise self.error(
                f"unknown time unit '{node.unit}' in maxspan; use one of {', '.join(UNITS_NS)}",
                node,
            )

    def pipe(self, node: ast.Pipe) -> None:
        if node.name not in SUPPORTED_PIPES:
            raise self.unsupported(
                f"pipe '{node.name}' is not supported; supported pipes: "
                f"{', '.join(SUPPORTED_PIPES)}",
                node,
                f"pipe {node.name}",
            )
        if len(node.args) != 1:
            raise self.error(
                f"'| {node.name}' takes exactly one number, found {len(node.args)} arguments",
                node,
            )
        arg = node.args[0]
        if not (
            isinstance(arg, ast.Literal)
            and isinstance(arg.value, int)
            and not isinstance(arg.value, bool)
            and arg.value >= 0
        ):
            raise self.error(f"'| {node.name}' takes a whole number >= 0", arg)

    # -- expressions ------------------------------------------------------------------------

    def expr(self, node: ast.Expr) -> None:
        """Check an expression and everything under it."""
        method = getattr(self, f"check_{type(node).__name__.lower()}", None)
        if method is not None:
            method(node)
        for child in node.children():
            if isinstance(child, ast.EventFilter):
                continue
            self.expr(child)  # type: ignore[arg-type]

    def check_field(self, node: ast.Field) -> None:
        head = node.path[0]
        if isinstance(head, str) and head.startswith("$"):
            raise self.unsupported(
                f"variables such as '{head}' belong to array functions, which are not supported",
                node,
                "array function variable",
            )

    def check_comparison(self, node: ast.Comparison) -> None:
        kinds = {kind_of(node.left), kind_of(node.right)}
        literals = isinstance(node.left, ast.Literal) and isinstance(node.right, ast.Literal)
        if node.op in ("<", "<=", ">", ">=") and kinds == {STRING, NUMBER} and literals:
            raise self.error(
                f"cannot order {_describe(node.left)} and {_describe(node.right)} with "
                f"'{node.op}': compare a string with a string, a number with a number",
                node,
            )
        self.timestamp_constants(node.left, [node.right])
        self.timestamp_constants(node.right, [node.left])

    def check_inlist(self, node: ast.InList) -> None:
        self.timestamp_constants(node.operand, list(node.values))

    def timestamp_constants(self, field: ast.Expr, values: list[ast.Expr]) -> None:
        if not (isinstance(field, ast.Field) and field.path == ("@timestamp",)):
            return
        for value in values:
            if isinstance(value, ast.Literal) and value.value is not None:
                try:
                    timestamp_ns(value.value)
                except ValueError as exc:
                    raise self.error(str(exc), value) from None

    def check_patternmatch(self, node: ast.PatternMatch) -> None:
        op = node.op + ("~" if node.case_insensitive and node.op != ":" else "")
        for pattern in node.patterns:
            if node.op == ":" and not isinstance(pattern.value, str):
                continue  # `x : 0` is a plain equality (converted Sigma rules write it)
            if not isinstance(pattern.value, str):
                raise self.error(
                    f"'{op}' matches strings: expected a string pattern but found "
                    f"{_describe(pattern)}",
                    pattern,
                )
            if node.op == "regex":
                self.regex(pattern)

    def regex(self, pattern: ast.Literal) -> None:
        try:
            translate(pattern.value)  # type: ignore[arg-type]
        except RegexError as exc:
            raise self.error(
                f"invalid regex {pattern.value!r} at character {exc.offset + 1}: {exc}", pattern
            ) from None

    def check_lineage(self, node: ast.Lineage) -> None:
        raise self.unsupported(
            f"'{node.relation} of' (process lineage) is not supported", node,
            f"{node.relation} of",
        )  # fmt: skip

    def check_functioncall(self, node: ast.FunctionCall) -> None:
        name = node.canonical
        if name in UNSUPPORTED:
            raise self.unsupported(
                f"'{node.name}' ({UNSUPPORTED[name]}) is not supported", node, UNSUPPORTED[name]
            )
        sig = SIGNATURES.get(name)
        if sig is None:
            known = sorted(s.name for s in SIGNATURES.values())
            close = difflib.get_close_matches(name, list(SIGNATURES), n=1, cutoff=0.75)
            hint = f"did you mean '{SIGNATURES[close[0]].name}'? " if close else ""
            raise self.error(
                f"unknown function '{node.name}': {hint}known functions: {', '.join(known)}",
                node,
            )
        if node.case_insensitive and not sig.insensitive:
            raise self.error(f"'{sig.name}' has no case-insensitive form '{sig.name}~'", node)
        count = len(node.args)
        if count < sig.min_args or (sig.max_args is not None and count > sig.max_args):
            raise self.error(f"'{sig.name}' takes {sig.arity()} arguments, found {count}", node)
        for index, arg in enumerate(node.args):
            expected = sig.kind_of(index)
            actual = kind_of(arg)
            if expected != ANY and actual not in (ANY, expected):
                raise self.error(
                    f"argument {index + 1} of '{sig.name}' must be a {expected}, "
                    f"found {_describe(arg)}",
                    arg,
                )
        if sig.lowers_to.startswith("match:"):
            for arg in node.args[1:]:
                if not (isinstance(arg, ast.Literal) and isinstance(arg.value, str)):
                    raise self.error(f"the patterns of '{sig.name}' must be string constants", arg)
                if sig.lowers_to == "match:regex":
                    self.regex(arg)


def analyze(
    statement: ast.Statement, *, text: str | None = None, source: str | None = None
) -> None:
    """Check ``statement``; raise :class:`EqlSemanticError` (located in ``text``) if it is wrong."""
    Analyzer(text, source).check(statement)
