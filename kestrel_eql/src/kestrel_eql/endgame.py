"""The Endgame EQL dialect: how it differs from Elasticsearch EQL, and nothing else.

Endgame EQL is the language of the ``eql`` Python package and of eqllib's analytics. Compared
with Elasticsearch EQL (the base classes in :mod:`kestrel_eql.analyzer`, :mod:`kestrel_eql.fold`
and :mod:`kestrel_eql.lower`):

* ``==`` and ``!=`` are case-insensitive on strings, and a string constant with ``*`` is a
  wildcard pattern (``process_name == "*.exe"``; ``?`` is an ordinary character, as in the
  ``eql`` package, also in ``wildcard()``); ``=`` is ``==``; ``in`` and the string functions are
  case-insensitive;
* strings may be single-quoted, and ``?"..."`` / ``?'...'`` are raw (only the quote escapes);
  a list may end with a comma; pipe arguments may be separated by spaces;
* functions ``arrayContains``, ``arraySearch``, ``arrayCount``, ``match`` (Python regexes,
  matched from the start of the value), ``matchLite`` (pattern first), ``wildcard``, ``safe``,
  and ``between(source, left, right[, greedy[, case_sensitive]])``;
* ``join`` and the pipes ``count``, ``unique``, ``unique_count``, ``filter``, ``sort``;
* enum fields of the Endgame schema: ``subtype.create`` is ``subtype == "create"``;
* lineage relation names in any case (``Descendant of``).
"""

from __future__ import annotations

import re

import re2

from kestrel_core import ir
from kestrel_eql import ast
from kestrel_eql.analyzer import Analyzer
from kestrel_eql.fold import Folder
from kestrel_eql.functions import ENDGAME_SIGNATURES
from kestrel_eql.lower import Lowerer, _is_timestamp

#: Fields the Endgame schema declares as enums: ``field.option`` tests ``field == "option"``.
ENUM_FIELDS = ("subtype", "hive")


def wildcard_match(operand: ir.Expr, patterns: tuple[str, ...]) -> ir.Expr:
    """Endgame wildcards: ``*`` only, case-insensitive. The IR's wildcards also read ``?``, so
    patterns holding one become the equivalent regex."""
    if not any("?" in p for p in patterns):
        return ir.Match("wildcard", operand, patterns, True)
    regexes = tuple("(?s)" + ".*".join(re.escape(part) for part in p.split("*")) for p in patterns)
    return ir.Match("regex", operand, regexes, True)


class EndgameAnalyzer(Analyzer):
    """Endgame EQL's checks: more functions and pipes, ``join``, Endgame strings and ``=``."""

    signatures = ENDGAME_SIGNATURES
    pipes = ("head", "tail", "count", "unique", "unique_count", "filter", "sort")
    lineage_any_case = True
    endgame_strings = True
    single_equals = True
    trailing_commas = True

    def join(self, node: ast.Join) -> None:
        for step in (*node.steps, *([node.until] if node.until else [])):
            if step.missing:
                raise self.error("a join step cannot be a missing event ('![')", step)
            if step.runs is not None:
                raise self.error("'with runs' is for sequences, not joins", step)
            self.step(step, node.keys)
        if len(node.steps) < 2:
            raise self.error(f"a join needs at least 2 steps, found {len(node.steps)}", node)
        self.same_key_counts(node.keys, [*node.steps, *([node.until] if node.until else [])])

    def _pipe_exprs(self, node: ast.Pipe, least: int, most: int | None = None) -> None:
        count = len(node.args)
        if count < least or (most is not None and count > most):
            wanted = f"{least}" if least == most else f"at least {least}"
            raise self.error(f"'| {node.name}' takes {wanted} argument(s), found {count}", node)
        for arg in node.args:
            self.expr(arg)

    def pipe_count(self, node: ast.Pipe) -> None:
        self._pipe_exprs(node, 0)

    def pipe_unique(self, node: ast.Pipe) -> None:
        self._pipe_exprs(node, 1)

    def pipe_unique_count(self, node: ast.Pipe) -> None:
        self._pipe_exprs(node, 1)

    def pipe_sort(self, node: ast.Pipe) -> None:
        self._pipe_exprs(node, 1)

    def pipe_filter(self, node: ast.Pipe) -> None:
        self._pipe_exprs(node, 1, 1)

    def python_regex(self, pattern: ast.Literal) -> None:
        options = re2.Options()
        options.log_errors = False
        try:
            re2.compile(str(pattern.value), options)
        except re2.error as exc:
            raise self.error(
                f"invalid regex {pattern.value!r} (or one RE2 cannot run: no look-around or "
                f"back-references): {exc}",
                pattern,
            ) from None


class EndgameFolder(Folder):
    """Folding that leaves string equality to the lowering (case-insensitive, wildcards)."""

    case_insensitive_equality = True


class EndgameLowerer(Lowerer):
    """Endgame semantics for ``==``/``!=``/``=``, ``in``, the functions and enum fields."""

    signatures = ENDGAME_SIGNATURES
    default_case_insensitive = True

    def comparison_ir(self, node: ast.Comparison) -> ir.Expr:
        op = "==" if node.op == "=" else node.op
        if op != node.op:
            node = ast.Comparison(op, node.left, node.right, span=node.span)
        left, right = node.left, node.right
        special = any(
            _is_timestamp(n) or (isinstance(n, ast.Literal) and n.value is None)
            for n in (left, right)
        )
        if op not in ("==", "!=") or special:
            return super().comparison_ir(node)
        for value, other in ((right, left), (left, right)):
            if isinstance(value, ast.Literal) and isinstance(value.value, str):
                operand = self.expr(other)
                pattern = value.value
                test: ir.Expr
                if "*" in pattern:
                    test = wildcard_match(operand, (pattern,))
                else:
                    test = ir.Compare("==", operand, ir.Literal(pattern), True)
                return test if op == "==" else ir.Not(test)
        return ir.Compare(op, self.expr(left), self.expr(right), True)  # type: ignore[arg-type]

    def functioncall_ir(self, node: ast.FunctionCall) -> ir.Expr:
        if self.signatures[node.canonical].lowers_to == "match:wildcard":
            patterns = tuple(str(a.value) for a in node.args[1:])  # type: ignore[union-attr]
            return wildcard_match(self.expr(node.args[0]), patterns)
        return super().functioncall_ir(node)

    def plain_field(self, node: ast.Field) -> ir.Expr:
        path = node.path
        if len(path) == 2 and path[0] in ENUM_FIELDS and isinstance(path[1], str):
            return ir.Compare("==", ir.Field((path[0],)), ir.Literal(path[1]), True)
        return super().plain_field(node)
