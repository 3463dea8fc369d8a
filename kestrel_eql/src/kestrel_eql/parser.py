"""EQL text -> :mod:`kestrel_eql.ast`: the lark LALR parser and the transformer building nodes.

The lark parser is built once per process (module-level cache), with a fast lexer
(:mod:`kestrel_eql.lexer`) and the transformer inlined: nodes are built while parsing, with no
intermediate lark tree. Syntax errors become :class:`EqlSyntaxError` with a located,
readable message (see :mod:`kestrel_eql.syntax_errors`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import lark
from lark import Token

from kestrel_core.errors import SourceLocation
from kestrel_eql import ast
from kestrel_eql.errors import EqlSyntaxError, locate
from kestrel_eql.lexer import FastLexer
from kestrel_eql.strings import StringEscapeError, unquote
from kestrel_eql.syntax_errors import describe_lark_error

GRAMMAR = Path(__file__).with_name("grammar.lark")


class _NodeError(Exception):
    """Raised inside the transformer; :func:`parse` adds the text and the file name."""

    def __init__(self, message: str, span: ast.Span | None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span


class _Marker:
    """A placeholder result with a span: ``any``, ``[``/``![``, ``until [...]``."""

    def __init__(self, span: ast.Span | None, value: Any = None) -> None:
        self.span = span
        self.value = value


class _List(tuple):
    """The items of a ``by`` clause or a parenthesized list, with its span."""

    span: ast.Span | None = None
    #: Where the list's trailing comma is, if it ends with one (Endgame EQL: ``(a, b,)``).
    trailing: ast.Span | None = None


def _trailing(children: list[Any]) -> ast.Span | None:
    for c in children:
        if isinstance(c, Token) and c.type == "TRAILING_COMMA":
            return _token_span(c)
    return None


def _token_span(token: Token) -> ast.Span:
    return ast.Span(
        token.line,  # type: ignore[arg-type]
        token.column,  # type: ignore[arg-type]
        token.end_line,  # type: ignore[arg-type]
        token.end_column,  # type: ignore[arg-type]
        token.start_pos,  # type: ignore[arg-type]
        token.end_pos,  # type: ignore[arg-type]
    )


def _span_of(item: Any) -> ast.Span | None:
    if isinstance(item, Token):
        return _token_span(item)
    return getattr(item, "span", None)


def _span(children: list[Any]) -> ast.Span | None:
    """From the first to the last child that has a position."""
    spans = [s for s in map(_span_of, children) if s is not None]
    if not spans:
        return None
    first, last = spans[0], spans[-1]
    return ast.Span(first.line, first.column, last.end_line, last.end_column, first.start, last.end)


def _nodes(children: list[Any]) -> list[Any]:
    """The children that are not punctuation or keyword tokens, nor absent optionals."""
    return [c for c in children if c is not None and not isinstance(c, Token)]


def _number(token: Token) -> int | float:
    text = str(token)
    if token.type == "INT":
        return int(text)
    return float(text)


class AstBuilder(lark.Transformer):
    """Builds :mod:`kestrel_eql.ast` nodes from the rules of ``grammar.lark``.

    It runs inline, while lark parses (one callback per rule, children in source order, every
    token kept so that each node gets the span from its first to its last token).
    """

    # -- statement --------------------------------------------------------------------------

    def start(self, children: list[Any]) -> ast.Statement:
        query, *pipes = _nodes(children)
        return ast.Statement(query, tuple(pipes), span=_span(children))

    def pipe(self, children: list[Any]) -> ast.Pipe:
        name = children[1]
        args = _nodes(children)
        return ast.Pipe(str(name).lower(), tuple(args), span=_span(children))

    def pipe_spaced(self, children: list[Any]) -> ast.Pipe:
        return self.pipe(children)

    # -- event queries ----------------------------------------------------------------------

    def event_query(self, children: list[Any]) -> ast.EventFilter:
        return children[0]

    def event_filter(self, children: list[Any]) -> ast.EventFilter:
        category, _where, condition = children
        return ast.EventFilter(category.value, condition, span=_span(children))

    def any_category(self, children: list[Any]) -> _Marker:
        return _Marker(_span(children), None)

    def named_category(self, children: list[Any]) -> _Marker:
        return _Marker(_span(children), str(children[0]))

    def quoted_category(self, children: list[Any]) -> _Marker:
        return _Marker(_span(children), children[0].value)

    # -- sequences and samples --------------------------------------------------------------

    def sequence(self, children: list[Any]) -> ast.Sequence:
        _kw, keys, maxspan, *steps = children
        until = steps.pop()
        return ast.Sequence(
            tuple(keys or ()),
            maxspan,
            tuple(steps),
            until.value if until is not None else None,
            span=_span(children),
        )

    def sequence_with_before_by(self, children: list[Any]) -> ast.Sequence:
        keys = children[2]
        raise _NodeError(
            "write 'by' before 'with maxspan': sequence by KEYS with maxspan=...", keys.span
        )

    def join(self, children: list[Any]) -> ast.Join:
        _kw, keys, *steps = children
        until = steps.pop()
        return ast.Join(
            tuple(keys or ()),
            tuple(steps),
            until.value if until is not None else None,
            span=_span(children),
        )

    def sample(self, children: list[Any]) -> ast.Sample:
        _kw, keys, *steps = children
        return ast.Sample(tuple(keys or ()), tuple(steps), span=_span(children))

    def maxspan(self, children: list[Any]) -> ast.TimeSpan:
        number, unit = children[3], children[4]
        return ast.TimeSpan(
            number.value, None if unit is None else str(unit), span=_span(children[3:])
        )

    def seq_step(self, children: list[Any]) -> ast.Step:
        opening, event_filter, _close, alias, keys, runs = children
        return ast.Step(
            event_filter,
            tuple(keys or ()),
            None if runs is None else runs.value,
            missing=opening.value,
            alias=None if alias is None else alias.value,
            span=_span(children),
        )

    def seq_step_keys_alias(self, children: list[Any]) -> ast.Step:
        opening, event_filter, close, keys, alias, runs = children
        return self.seq_step([opening, event_filter, close, alias, keys, runs])

    def step_alias(self, children: list[Any]) -> _Marker:
        keyword, name = children
        if str(keyword) != "as":
            raise _NodeError(
                f"expected 'by', 'with', 'as' or the next step but found '{keyword}'",
                _token_span(keyword),
            )
        return _Marker(_span(children), str(name))

    def present_step(self, children: list[Any]) -> _Marker:
        return _Marker(_span(children), False)

    def missing_step(self, children: list[Any]) -> _Marker:
        return _Marker(_span(children), True)

    def runs(self, children: list[Any]) -> _Marker:
        _with, name, _eq, number = children
        if str(name) != "runs":
            raise _NodeError(
                f"expected 'runs' or 'maxspan' after 'with' but found '{name}'", _token_span(name)
            )
        if not isinstance(number.value, int):
            raise _NodeError(f"'with runs' takes a whole number, not {number.value}", number.span)
        return _Marker(_span(children), number.value)

    def until_clause(self, children: list[Any]) -> _Marker:
        return _Marker(_span(children), children[1])

    def join_keys(self, children: list[Any]) -> _List:
        keys = _List(_nodes(children))
        keys.span = _span(children)
        return keys

    # -- boolean and comparison operators ---------------------------------------------------

    def or_(self, children: list[Any]) -> ast.Or:
        return ast.Or(children[0], children[2], span=_span(children))

    def and_(self, children: list[Any]) -> ast.And:
        return ast.And(children[0], children[2], span=_span(children))

    def not_(self, children: list[Any]) -> ast.Not:
        return ast.Not(children[1], span=_span(children))

    def compare(self, children: list[Any]) -> ast.Comparison:
        left, op, right = children
        return ast.Comparison(str(op), left, right, span=_span(children))

    def compare_single_equals(self, children: list[Any]) -> ast.Comparison:
        left, op, right = children
        return ast.Comparison(
            "=", left, right, op_span=_token_span(op), span=_span(children)
        )

    def colon_match(self, children: list[Any]) -> ast.PatternMatch:
        operand, _colon, patterns = children
        return ast.PatternMatch(
            ":", operand, patterns, True, trailing_comma=patterns.trailing, span=_span(children)
        )

    def like_match(self, children: list[Any]) -> ast.PatternMatch:
        operand, op, patterns = children
        return ast.PatternMatch(
            "like", operand, patterns, str(op).endswith("~"),
            trailing_comma=patterns.trailing, span=_span(children),
        )  # fmt: skip

    def regex_match(self, children: list[Any]) -> ast.PatternMatch:
        operand, op, patterns = children
        return ast.PatternMatch(
            "regex", operand, patterns, str(op).endswith("~"),
            trailing_comma=patterns.trailing, span=_span(children),
        )  # fmt: skip

    def patterns(self, children: list[Any]) -> _List:
        items = _List(_nodes(children))
        items.span = _span(children)
        items.trailing = _trailing(children)
        return items

    def in_list(self, children: list[Any]) -> ast.InList:
        operand, op, _lpar, values, _rpar = children
        return ast.InList(
            operand, values, str(op).endswith("~"),
            trailing_comma=values.trailing, span=_span(children),
        )  # fmt: skip

    def not_in_list(self, children: list[Any]) -> ast.InList:
        operand, _not, op, _lpar, values, _rpar = children
        return ast.InList(
            operand, values, str(op).endswith("~"), negated=True,
            trailing_comma=values.trailing, span=_span(children),
        )  # fmt: skip

    def expr_list(self, children: list[Any]) -> _List:
        items = _List(_nodes(children))
        items.span = _span(children)
        items.trailing = _trailing(children)
        return items

    def lineage(self, children: list[Any]) -> ast.Lineage:
        relation, _of, _open, query, _close = children
        return ast.Lineage(str(relation), query, span=_span(children))

    # -- arithmetic -------------------------------------------------------------------------

    def arith(self, children: list[Any]) -> ast.Arithmetic:
        left, op, right = children
        return ast.Arithmetic(str(op), left, right, span=_span(children))

    def negate(self, children: list[Any]) -> ast.Negate:
        return ast.Negate(children[1], span=_span(children))

    def unary_plus(self, children: list[Any]) -> ast.Expr:
        return children[1]

    def primary(self, children: list[Any]) -> ast.Expr:
        return children[1]  # "(" expr ")"

    # -- functions --------------------------------------------------------------------------

    def call(self, children: list[Any]) -> ast.FunctionCall:
        function, _lpar, args, _rpar = children
        name, insensitive = function.value
        return ast.FunctionCall(
            name, tuple(args or ()), insensitive,
            trailing_comma=None if args is None else args.trailing, span=_span(children),
        )  # fmt: skip

    def function_name(self, children: list[Any]) -> _Marker:
        text = str(children[0])
        if text.endswith("~"):
            return _Marker(_span(children), (text[:-1], True))
        return _Marker(_span(children), (text, False))

    def regex_function(self, children: list[Any]) -> _Marker:
        return _Marker(_span(children), ("regex", False))

    def regex_function_tilde(self, children: list[Any]) -> _Marker:
        return _Marker(_span(children), ("regex", True))

    # -- fields and constants ---------------------------------------------------------------

    def field(self, children: list[Any]) -> ast.Field:
        optional, head, *tail = children
        return ast.Field(
            (_name(head), *(t.value for t in tail)), optional is not None, span=_span(children)
        )

    def field_head(self, children: list[Any]) -> Token:
        return children[0]

    def dot_name(self, children: list[Any]) -> _Marker:
        return _Marker(_span(children), _name(children[1]))

    def index(self, children: list[Any]) -> _Marker:
        return _Marker(_span(children), int(str(children[0]).strip("[] \t")))

    def string(self, children: list[Any]) -> ast.Literal:
        token = children[0]
        try:
            value = unquote(str(token))
        except StringEscapeError as exc:
            span = _token_span(token)
            column = span.column + exc.offset
            raise _NodeError(
                str(exc), ast.Span(span.line, column, span.line, column + 1, 0, 0)
            ) from None
        text = str(token)
        quote = text[:2] if text.startswith("?") else text[0]
        return ast.Literal(value, quote=quote, span=_token_span(token))

    def number(self, children: list[Any]) -> ast.Literal:
        return ast.Literal(_number(children[0]), span=_token_span(children[0]))

    def true(self, children: list[Any]) -> ast.Literal:
        return ast.Literal(True, span=_token_span(children[0]))

    def false(self, children: list[Any]) -> ast.Literal:
        return ast.Literal(False, span=_token_span(children[0]))

    def null(self, children: list[Any]) -> ast.Literal:
        return ast.Literal(None, span=_token_span(children[0]))


def _name(token: Token) -> str:
    text = str(token)
    if token.type == "QUOTED_NAME":
        return text[1:-1].replace("``", "`")
    return text


@functools.cache
def lark_parser() -> lark.Lark:
    """The LALR parser, built once per process."""
    return lark.Lark(
        GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        lexer=FastLexer,
        keep_all_tokens=True,
        maybe_placeholders=True,
        transformer=AstBuilder(),
    )


def parse(text: str, *, source: str | None = None) -> ast.Statement:
    """Parse EQL ``text`` into an :class:`ast.Statement`.

    ``source`` names the text in error messages (a file name). Raises :class:`EqlSyntaxError`,
    located at the offending token, when the text is not EQL.
    """
    if not text or text.isspace():
        location = SourceLocation(1, 1, text=text, file=source)
        raise EqlSyntaxError("the query is empty: expected 'CATEGORY where CONDITION'", location)
    parser = lark_parser()
    try:
        return parser.parse(text)
    except _NodeError as exc:
        raise EqlSyntaxError(exc.message, locate(exc.span, text, source)) from None
    except lark.exceptions.VisitError as exc:
        inner = exc.orig_exc
        if isinstance(inner, _NodeError):
            raise EqlSyntaxError(inner.message, locate(inner.span, text, source)) from None
        raise
    except lark.exceptions.UnexpectedInput as exc:
        message, location = describe_lark_error(parser, exc, text, source)
        raise EqlSyntaxError(message, location) from None
