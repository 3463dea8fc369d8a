"""Semantic checks of an EQL syntax tree (Elasticsearch rules), with located errors.

What is checked: functions (known, arity, argument kinds, ``~`` support), patterns of ``:``,
``like`` and ``regex`` (string constants; regexes valid and runnable by RE2), ordering
comparisons between a string and a number constant, sequences and samples (at least two steps,
a positive step, join keys of equal count, ``maxspan`` required by missing events and written
as a positive whole number with a unit, ``with runs`` from 1 to 100), pipes (``head``/``tail``
with one non-negative whole number), ``@timestamp`` constants, lineage (``descendant of``,
``child of``, ``event of``) and Elastic Defend's array functions (``_arraysearch($entry ...)``
variables in scope), and constructs Kestrel does not run (step aliases) or that belong to the
Endgame dialect (``join``, its pipes and functions, single-quoted strings, ``=``), reported
as :class:`EqlUnsupportedError` naming the construct. The Endgame dialect's analyzer
(:mod:`kestrel_eql.endgame`) overrides only what differs.
"""

from __future__ import annotations

import difflib

from kestrel_eql import ast
from kestrel_eql.errors import EqlSemanticError, EqlSyntaxError, EqlUnsupportedError, locate
from kestrel_eql.functions import (
    ANY,
    BOOLEAN,
    ELASTICSEARCH_SIGNATURES,
    NUMBER,
    SIGNATURES,
    STRING,
    UNSUPPORTED,
    Signature,
)
from kestrel_eql.regex import RegexError, translate
from kestrel_eql.timestamps import UNITS_NS, timestamp_ns

MAX_RUNS = 100
SUPPORTED_PIPES = ("head", "tail")
LINEAGE_RELATIONS = ("descendant", "child", "event")
#: Endgame's pipes, named when the Elasticsearch dialect meets them.
ENDGAME_PIPES = ("count", "filter", "sort", "unique", "unique_count")


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
        sig = SIGNATURES.get(node.canonical) or ELASTICSEARCH_SIGNATURES.get(node.canonical)
        return sig.returns if sig else ANY
    return ANY


def _describe(node: ast.Expr) -> str:
    if isinstance(node, ast.Literal):
        kind = kind_of(node)
        return f"the {kind} {node.value!r}" if kind != ANY else "null"
    return f"a {kind_of(node)}"


class Analyzer:
    """Checks one statement (Elasticsearch EQL); ``text`` and ``source`` only serve the error
    locations. Class attributes hold what a dialect may change."""

    #: Known functions by lowercase name.
    signatures: dict[str, Signature] = ELASTICSEARCH_SIGNATURES
    #: Pipes this dialect runs.
    pipes: tuple[str, ...] = SUPPORTED_PIPES
    #: Whether lineage relation names are matched case-insensitively (Endgame: `Descendant of`).
    lineage_any_case = False
    #: Whether `'...'`, `?"..."` and `?'...'` strings are accepted (Endgame).
    endgame_strings = False
    #: Whether `=` is accepted as `==` (Endgame).
    single_equals = False
    #: Whether a list may end with a comma, `(a, b,)` (Endgame).
    trailing_commas = False

    def __init__(self, text: str | None = None, source: str | None = None) -> None:
        self.text = text
        self.source = source
        #: Element variables of the array functions being checked, innermost last.
        self.variables: list[str] = []

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
        elif isinstance(query, ast.Join):
            self.join(query)
        else:
            self.sample(query)
        for pipe in statement.pipes:
            self.pipe(pipe)

    def join(self, node: ast.Join) -> None:
        raise self.unsupported(
            "'join' is Endgame EQL; use a sequence or sample, or the endgame dialect",
            node,
            "join (Endgame dialect)",
        )

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
        if node.name not in self.pipes:
            endgame = node.name in ENDGAME_PIPES and "endgame" not in type(self).__name__.lower()
            hint = " (an Endgame pipe: use the endgame dialect)" if endgame else ""
            raise self.unsupported(
                f"pipe '{node.name}' is not supported{hint}; supported pipes: "
                f"{', '.join(self.pipes)}",
                node,
                f"pipe {node.name}" + (" (Endgame dialect)" if endgame else ""),
            )
        method = getattr(self, f"pipe_{node.name}", None)
        if method is not None:
            method(node)
            return
        self.pipe_head(node)

    def pipe_head(self, node: ast.Pipe) -> None:
        """``| head N`` and ``| tail N``: one whole number >= 0."""
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
        """Check an expression and everything under it (a check method returning True has
        checked the children itself)."""
        comma = getattr(node, "trailing_comma", None)
        if comma is not None and not self.trailing_commas:
            raise EqlSyntaxError(
                "expected a value after ','; a comma before ')' is Endgame EQL (remove it, or "
                "use the endgame dialect)",
                locate(comma, self.text, self.source),
            )
        method = getattr(self, f"check_{type(node).__name__.lower()}", None)
        if method is not None and method(node):
            return
        for child in node.children():
            if isinstance(child, ast.EventFilter):
                continue
            self.expr(child)  # type: ignore[arg-type]

    def check_literal(self, node: ast.Literal) -> None:
        if node.quote in ("'", '?"', "?'") and not self.endgame_strings:
            raise EqlSyntaxError(
                f"strings take double quotes, not single quotes ({node.quote}...' strings are "
                "Endgame EQL: use the endgame dialect)"
                if node.quote != '?"'
                else "'?\"...\"' raw strings are Endgame EQL: write \"\"\"...\"\"\" "
                "(or use the endgame dialect)",
                locate(node.span, self.text, self.source),
            )

    def check_field(self, node: ast.Field) -> None:
        head = node.path[0]
        if isinstance(head, str) and head.startswith("$") and head not in self.variables:
            raise self.error(
                f"unknown variable '{head}': variables are the element names of array "
                "functions, e.g. _arraysearch(field, $entry, $entry.name == \"x\")",
                node,
            )

    def check_comparison(self, node: ast.Comparison) -> None:
        if node.op == "=" and not self.single_equals:
            raise EqlSyntaxError(
                "'=' does not compare; write '==' ('=' is Endgame EQL: use the endgame dialect)",
                locate(node.op_span or node.span, self.text, self.source),
            )
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

    def check_lineage(self, node: ast.Lineage) -> bool:
        relation = node.relation.lower() if self.lineage_any_case else node.relation
        if relation not in LINEAGE_RELATIONS:
            raise self.error(
                f"unknown process relation '{node.relation} of': expected "
                f"{', '.join(r + ' of' for r in LINEAGE_RELATIONS)}",
                node,
            )
        saved, self.variables = self.variables, []  # another event: no element in scope
        try:
            self.event_filter(node.query)
        finally:
            self.variables = saved
        return True

    def check_array_function(self, node: ast.FunctionCall, sig: Signature) -> bool:
        """``f(array, var, condition)`` / ``contains(array, values...)``: the variable is a bare
        name (Endgame) or ``$name`` (Elastic Defend), in scope inside the condition only."""
        self.expr(node.args[0])
        if sig.lowers_to == "array:contains":
            for arg in node.args[1:]:
                self.expr(arg)
            return True
        var = node.args[1]
        if not (isinstance(var, ast.Field) and len(var.path) == 1 and not var.optional):
            raise self.error(
                f"argument 2 of '{sig.name}' names the element variable, e.g. $entry", var
            )
        self.variables.append(str(var.path[0]))
        try:
            self.expr(node.args[2])
        finally:
            self.variables.pop()
        return True

    def check_functioncall(self, node: ast.FunctionCall) -> bool:
        name = node.canonical
        signatures = self.signatures
        if name in UNSUPPORTED and name not in signatures:
            raise self.unsupported(
                f"'{node.name}' ({UNSUPPORTED[name]}) is not supported", node, UNSUPPORTED[name]
            )
        sig = signatures.get(name)
        if sig is None:
            known = sorted(s.name for s in signatures.values())
            close = difflib.get_close_matches(name, list(signatures), n=1, cutoff=0.75)
            hint = f"did you mean '{signatures[close[0]].name}'? " if close else ""
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
        if sig.lowers_to.startswith("array:"):
            return self.check_array_function(node, sig)
        if sig.lowers_to.startswith("match:"):
            patterns = node.args[:1] if sig.lowers_to == "match:python_first" else node.args[1:]
            for arg in patterns:
                if not (isinstance(arg, ast.Literal) and isinstance(arg.value, str)):
                    raise self.error(f"the patterns of '{sig.name}' must be string constants", arg)
                if sig.lowers_to == "match:regex":
                    self.regex(arg)
                elif sig.lowers_to.startswith("match:python"):
                    self.python_regex(arg)
        return False

    def python_regex(self, pattern: ast.Literal) -> None:
        """An Endgame (Python syntax) regex must run on RE2."""
        raise NotImplementedError  # only the Endgame dialect has them


def analyze(
    statement: ast.Statement, *, text: str | None = None, source: str | None = None
) -> None:
    """Check ``statement``; raise :class:`EqlSemanticError` (located in ``text``) if it is wrong."""
    Analyzer(text, source).check(statement)
