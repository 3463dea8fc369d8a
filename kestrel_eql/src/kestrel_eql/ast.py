"""The EQL syntax tree: one small frozen class per node kind, as sqlglot's ``expressions.py``.

The parser (:mod:`kestrel_eql.parser`) builds it; every later stage (analyzer, folding, printer,
lowering) only reads it. Each node keeps its source position in ``span``, which is left out of
equality, so two trees parsed from differently formatted texts compare equal. ``to_dict()`` gives a
JSON-serializable form (with the spans).
"""

from __future__ import annotations

from typing import Any

import attrs

Scalar = None | bool | int | float | str


@attrs.frozen
class Span:
    """Where a node is in the query text: 1-based line and column of its first character, and of
    the character after its last one; ``start``/``end`` are 0-based character offsets."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int
    end: int

    def to_list(self) -> list[int]:
        """``[line, column, end_line, end_column]``."""
        return [self.line, self.column, self.end_line, self.end_column]


def _tuple(value: object) -> tuple:
    return tuple(value)  # type: ignore[arg-type]


class Node:
    """Base of every node: a frozen attrs class with an optional ``span``."""

    span: Span | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable dict: ``{"type": ClassName, field: value..., "span": [...]}``."""
        out: dict[str, Any] = {"type": type(self).__name__}
        for field in attrs.fields(type(self)):  # type: ignore[arg-type]
            if field.name == "span" or field.eq is False:
                continue
            out[field.name] = _to_json(getattr(self, field.name))
        if self.span is not None:
            out["span"] = self.span.to_list()
        return out

    def children(self) -> list[Node]:
        """The direct child nodes, in source order."""
        out: list[Node] = []
        for field in attrs.fields(type(self)):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if isinstance(value, Node):
                out.append(value)
            elif isinstance(value, tuple):
                out.extend(v for v in value if isinstance(v, Node))
        return out

    def walk(self):
        """Yield this node and every descendant, parents first."""
        yield self
        for child in self.children():
            yield from child.walk()


def _to_json(value: object) -> object:
    if isinstance(value, Node):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Expressions


@attrs.frozen
class Literal(Node):
    """A constant: ``null``, ``true``/``false``, a number or a string (already unescaped).

    ``quote`` is how a string was written: ``"`` (also triple quotes), or the Endgame forms ``'``,
    ``?"`` and ``?'``; it is left out of equality, as the span is.
    """

    value: Scalar
    quote: str = attrs.field(default='"', eq=False, repr=False, kw_only=True)
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Field(Node):
    """A field: ``process.parent.name``, ``args[0]``, `` `my field` ``, ``?optional``.

    ``path`` holds names and array indexes; ``$entry`` (an Endgame array-function variable) keeps
    its ``$``.
    """

    path: tuple[str | int, ...] = attrs.field(converter=_tuple)
    optional: bool = False
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Comparison(Node):
    """``left OP right`` with OP one of ``== != < <= > >=``, or Endgame's ``=`` (as ``==``)."""

    op: str
    left: Expr
    right: Expr
    op_span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class PatternMatch(Node):
    """``operand : patterns``, ``like``, ``like~``, ``regex`` or ``regex~`` against constants.

    ``op`` is ``":"``, ``"like"`` or ``"regex"``; ``case_insensitive`` is true for ``:`` and the
    ``~`` forms.
    """

    op: str
    operand: Expr
    patterns: tuple[Literal, ...] = attrs.field(converter=_tuple)
    case_insensitive: bool = False
    trailing_comma: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class InList(Node):
    """``operand in (values)``, ``in~``, ``not in``, ``not in~``."""

    operand: Expr
    values: tuple[Expr, ...] = attrs.field(converter=_tuple)
    case_insensitive: bool = False
    negated: bool = False
    trailing_comma: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class And(Node):
    """``left and right``."""

    left: Expr
    right: Expr
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Or(Node):
    """``left or right``."""

    left: Expr
    right: Expr
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Not(Node):
    """``not operand``."""

    operand: Expr
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Arithmetic(Node):
    """``left OP right`` with OP one of ``+ - * / %``."""

    op: str
    left: Expr
    right: Expr
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Negate(Node):
    """Unary minus: ``-operand``."""

    operand: Expr
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class FunctionCall(Node):
    """``name(args)`` or ``name~(args)``. ``name`` is as written; see :attr:`canonical`."""

    name: str
    args: tuple[Expr, ...] = attrs.field(converter=_tuple)
    case_insensitive: bool = False
    trailing_comma: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)

    @property
    def canonical(self) -> str:
        """The lowercase name, the way functions are looked up."""
        return self.name.lower()


@attrs.frozen
class Lineage(Node):
    """``descendant of [...]``, ``child of [...]``, ``event of [...]`` (Endgame lineage)."""

    relation: str
    query: EventFilter
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


Expr = (
    Literal
    | Field
    | Comparison
    | PatternMatch
    | InList
    | And
    | Or
    | Not
    | Arithmetic
    | Negate
    | FunctionCall
    | Lineage
)

# ---------------------------------------------------------------------------------------------
# Queries


@attrs.frozen
class EventFilter(Node):
    """``category where condition``; ``category`` is ``None`` for ``any``."""

    category: str | None
    condition: Expr
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Step(Node):
    """A sequence or sample step: ``[filter] by keys with runs=N``, or ``![filter]`` (missing).

    ``alias`` is Elastic Defend's ``[...] as event0`` (not supported by the analyzer).
    """

    filter: EventFilter
    keys: tuple[Expr, ...] = attrs.field(converter=_tuple, factory=tuple)
    runs: int | None = None
    missing: bool = False
    alias: str | None = None
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class TimeSpan(Node):
    """``maxspan`` as written: ``value`` (a number) and ``unit`` (``None`` when absent)."""

    value: int | float
    unit: str | None
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Sequence(Node):
    """``sequence [by keys] [with maxspan=...] steps... [until step]``."""

    keys: tuple[Expr, ...] = attrs.field(converter=_tuple)
    maxspan: TimeSpan | None
    steps: tuple[Step, ...] = attrs.field(converter=_tuple)
    until: Step | None = None
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Sample(Node):
    """``sample [by keys] steps...``."""

    keys: tuple[Expr, ...] = attrs.field(converter=_tuple)
    steps: tuple[Step, ...] = attrs.field(converter=_tuple)
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Join(Node):
    """``join [by keys] steps... [until step]`` (Endgame)."""

    keys: tuple[Expr, ...] = attrs.field(converter=_tuple)
    steps: tuple[Step, ...] = attrs.field(converter=_tuple)
    until: Step | None = None
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class Pipe(Node):
    """``| name args...``; ``name`` is lowercased."""

    name: str
    args: tuple[Expr, ...] = attrs.field(converter=_tuple, factory=tuple)
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


Query = EventFilter | Sequence | Sample | Join


@attrs.frozen
class Statement(Node):
    """A whole query and its pipes."""

    query: Query
    pipes: tuple[Pipe, ...] = attrs.field(converter=_tuple, factory=tuple)
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
