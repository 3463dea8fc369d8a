"""AST -> EQL text: a generator class with one method per node kind, as sqlglot's generator.

The output parses back to an equal tree (the property tests check it): parentheses appear only
where precedence needs them, strings are re-escaped, and names that are not plain identifiers (or
are keywords) are backquoted.
"""

from __future__ import annotations

import re

from kestrel_eql import ast
from kestrel_eql.strings import quote
from kestrel_eql.syntax_errors import KEYWORDS

_PLAIN = re.compile(r"[A-Za-z_@][A-Za-z0-9_]*")
_VARIABLE = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*")

# Precedence levels, loosest first (see grammar.lark).
OR, AND, NOT, COMPARISON, ADDITIVE, MULTIPLICATIVE, UNARY, PRIMARY = range(1, 9)

_ARITH_LEVEL = {"+": ADDITIVE, "-": ADDITIVE, "*": MULTIPLICATIVE, "/": MULTIPLICATIVE}
_ARITH_LEVEL["%"] = MULTIPLICATIVE


def precedence(node: ast.Expr) -> int:
    """The binding level of a node: a child looser than its parent needs parentheses."""
    if isinstance(node, ast.Or):
        return OR
    if isinstance(node, ast.And):
        return AND
    if isinstance(node, ast.Not):
        return NOT
    if isinstance(node, (ast.Comparison, ast.PatternMatch, ast.InList, ast.Lineage)):
        return COMPARISON
    if isinstance(node, ast.Arithmetic):
        return _ARITH_LEVEL[node.op]
    if isinstance(node, ast.Negate):
        return UNARY
    value = getattr(node, "value", None) if isinstance(node, ast.Literal) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and repr(value)[0] == "-":
        return UNARY  # a folded negative constant prints as `-5`
    return PRIMARY


def name(text: str) -> str:
    """A field segment or category as EQL writes it: bare when possible, else backquoted."""
    if _PLAIN.fullmatch(text) and text not in KEYWORDS:
        return text
    return "`" + text.replace("`", "``") + "`"


class Printer:
    """Prints nodes as EQL text; ``sep`` goes between steps and before pipes."""

    def __init__(self, sep: str = "\n") -> None:
        self.sep = sep

    def sql(self, node: ast.Node) -> str:
        """The EQL text of ``node``; a node kind without a method fails loudly with its name."""
        method = getattr(self, f"{type(node).__name__.lower()}_sql", None)
        if method is None:
            raise NotImplementedError(f"cannot print {type(node).__name__}")
        return method(node)

    def wrap(self, node: ast.Expr, level: int) -> str:
        """``node``'s text, parenthesized when it binds looser than ``level``."""
        text = self.sql(node)
        return f"({text})" if precedence(node) < level else text

    # -- queries ----------------------------------------------------------------------------

    def statement_sql(self, node: ast.Statement) -> str:
        return self.sql(node.query) + "".join(f"{self.sep}{self.sql(p)}" for p in node.pipes)

    def pipe_sql(self, node: ast.Pipe) -> str:
        args = ", ".join(self.sql(a) for a in node.args)
        return f"| {node.name} {args}" if args else f"| {node.name}"

    def eventfilter_sql(self, node: ast.EventFilter) -> str:
        if node.category is None:
            category = "any"
        elif _PLAIN.fullmatch(node.category) and node.category not in KEYWORDS:
            category = node.category
        else:
            category = quote(node.category)
        return f"{category} where {self.sql(node.condition)}"

    def keys_sql(self, keys: tuple[ast.Expr, ...]) -> str:
        return " by " + ", ".join(self.sql(k) for k in keys) if keys else ""

    def step_sql(self, node: ast.Step) -> str:
        out = ("![" if node.missing else "[") + self.sql(node.filter) + "]"
        if node.alias is not None:
            out += f" as {node.alias}"
        out += self.keys_sql(node.keys)
        if node.runs is not None:
            out += f" with runs={node.runs}"
        return out

    def timespan_sql(self, node: ast.TimeSpan) -> str:
        return f"with maxspan={node.value}{node.unit or ''}"

    def sequence_sql(self, node: ast.Sequence) -> str:
        head = "sequence" + self.keys_sql(node.keys)
        if node.maxspan is not None:
            head += " " + self.sql(node.maxspan)
        parts = [head, *(self.sql(s) for s in node.steps)]
        if node.until is not None:
            parts.append("until " + self.sql(node.until))
        return self.sep.join(parts)

    def join_sql(self, node: ast.Join) -> str:
        parts = ["join" + self.keys_sql(node.keys), *(self.sql(s) for s in node.steps)]
        if node.until is not None:
            parts.append("until " + self.sql(node.until))
        return self.sep.join(parts)

    def sample_sql(self, node: ast.Sample) -> str:
        head = "sample" + self.keys_sql(node.keys)
        return self.sep.join([head, *(self.sql(s) for s in node.steps)])

    # -- expressions ------------------------------------------------------------------------

    def literal_sql(self, node: ast.Literal) -> str:
        value = node.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return quote(value)
        return repr(value)

    def field_sql(self, node: ast.Field) -> str:
        out = "?" if node.optional else ""
        for index, segment in enumerate(node.path):
            if isinstance(segment, int):
                out += f"[{segment}]"
            elif index == 0 and _VARIABLE.fullmatch(segment):
                out += segment
            else:
                out += ("." if index else "") + name(segment)
        return out

    def comparison_sql(self, node: ast.Comparison) -> str:
        return f"{self.wrap(node.left, ADDITIVE)} {node.op} {self.wrap(node.right, ADDITIVE)}"

    def patternmatch_sql(self, node: ast.PatternMatch) -> str:
        op = node.op if node.op == ":" else node.op + ("~" if node.case_insensitive else "")
        patterns = [self.sql(p) for p in node.patterns]
        right = patterns[0] if len(patterns) == 1 else "(" + ", ".join(patterns) + ")"
        return f"{self.wrap(node.operand, ADDITIVE)} {op} {right}"

    def inlist_sql(self, node: ast.InList) -> str:
        op = ("not " if node.negated else "") + ("in~" if node.case_insensitive else "in")
        values = ", ".join(self.sql(v) for v in node.values)
        return f"{self.wrap(node.operand, ADDITIVE)} {op} ({values})"

    def and_sql(self, node: ast.And) -> str:
        return f"{self.wrap(node.left, AND)} and {self.wrap(node.right, NOT)}"

    def or_sql(self, node: ast.Or) -> str:
        return f"{self.wrap(node.left, OR)} or {self.wrap(node.right, AND)}"

    def not_sql(self, node: ast.Not) -> str:
        return f"not {self.wrap(node.operand, NOT)}"

    def arithmetic_sql(self, node: ast.Arithmetic) -> str:
        level = _ARITH_LEVEL[node.op]
        return f"{self.wrap(node.left, level)} {node.op} {self.wrap(node.right, level + 1)}"

    def negate_sql(self, node: ast.Negate) -> str:
        return f"-{self.wrap(node.operand, UNARY)}"

    def functioncall_sql(self, node: ast.FunctionCall) -> str:
        args = ", ".join(self.sql(a) for a in node.args)
        return f"{node.name}{'~' if node.case_insensitive else ''}({args})"

    def lineage_sql(self, node: ast.Lineage) -> str:
        return f"{node.relation} of [{self.sql(node.query)}]"


def to_eql(node: ast.Node, *, sep: str = "\n") -> str:
    """``node`` as EQL text."""
    return Printer(sep).sql(node)
