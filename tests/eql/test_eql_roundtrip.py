"""Property: printing any syntax tree and parsing the text gives the same tree back."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kestrel_eql import ast, parse, to_eql
from kestrel_eql.syntax_errors import KEYWORDS

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: s not in KEYWORDS
)
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
segments = st.one_of(identifiers, text, st.sampled_from(["sequence", "any", "@timestamp"]))

literals = st.builds(
    ast.Literal,
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=0, max_value=10**20),
        st.floats(min_value=0, allow_nan=False, allow_infinity=False),
        text,
    ),
)
string_literals = st.builds(ast.Literal, text)


@st.composite
def fields(draw: st.DrawFn) -> ast.Field:
    head = draw(segments)
    tail = draw(st.lists(st.one_of(segments, st.integers(0, 99)), max_size=3))
    return ast.Field((head, *tail), draw(st.booleans()))


def extend(children: st.SearchStrategy) -> st.SearchStrategy:
    ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    return st.one_of(
        st.builds(ast.Comparison, ops, children, children),
        st.builds(
            ast.PatternMatch,
            st.just(":"),
            children,
            st.lists(string_literals, min_size=1, max_size=3),
            st.just(True),
        ),
        st.builds(
            ast.PatternMatch,
            st.sampled_from(["like", "regex"]),
            children,
            st.lists(string_literals, min_size=1, max_size=3),
            st.booleans(),
        ),
        st.builds(
            ast.InList,
            children,
            st.lists(children, min_size=1, max_size=3),
            st.booleans(),
            st.booleans(),
        ),
        st.builds(ast.And, children, children),
        st.builds(ast.Or, children, children),
        st.builds(ast.Not, children),
        st.builds(ast.Arithmetic, st.sampled_from(["+", "-", "*", "/", "%"]), children, children),
        st.builds(ast.Negate, children),
        st.builds(ast.FunctionCall, identifiers, st.lists(children, max_size=3), st.booleans()),
    )


expressions = st.recursive(st.one_of(literals, fields()), extend, max_leaves=12)
categories = st.one_of(st.none(), identifiers, text)
filters = st.builds(ast.EventFilter, categories, expressions)
keys = st.lists(expressions, max_size=2)
steps = st.builds(
    ast.Step,
    filters,
    keys,
    st.one_of(st.none(), st.integers(1, 100)),
    st.booleans(),
    st.one_of(st.none(), identifiers),
)
sample_steps = st.builds(ast.Step, filters, keys)
spans = st.builds(
    ast.TimeSpan, st.integers(0, 10**6), st.sampled_from([None, "ms", "s", "m", "h", "d"])
)
queries = st.one_of(
    filters,
    st.builds(
        ast.Sequence, keys, st.one_of(st.none(), spans), st.lists(steps, min_size=1, max_size=3),
        st.one_of(st.none(), steps),
    ),
    st.builds(ast.Sample, keys, st.lists(sample_steps, min_size=1, max_size=3)),
)  # fmt: skip
pipe_names = identifiers.map(str.lower).filter(lambda s: s not in KEYWORDS)
pipes = st.builds(ast.Pipe, pipe_names, st.lists(expressions, max_size=2))
statements = st.builds(ast.Statement, queries, st.lists(pipes, max_size=2))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements)
def test_print_then_parse(statement: ast.Statement) -> None:
    printed = to_eql(statement)
    assert parse(printed) == statement, printed


@settings(max_examples=60, deadline=None)
@given(statements)
def test_printing_is_stable(statement: ast.Statement) -> None:
    once = to_eql(statement, sep=" ")
    assert to_eql(parse(once), sep=" ") == once
