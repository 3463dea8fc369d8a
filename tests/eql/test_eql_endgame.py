"""The two dialects side by side: one line per case, EQL text -> IR (sqlglot's validate_all).

``F`` is a field load, ``L`` a literal; each case gives the condition of ``a where ...``.
"""

from __future__ import annotations

import json

import pytest

from kestrel_core import ir
from kestrel_core.runtime.functions import element_condition
from kestrel_eql import compile_query, parse, to_eql


def F(*path: str | int) -> ir.Field:
    return ir.Field(path)


def L(value: object) -> ir.Literal:
    return ir.Literal(value)  # type: ignore[arg-type]


def cond(text: str, dialect: str) -> ir.Expr:
    return compile_query(f"a where {text}", dialect=dialect).body.condition  # type: ignore[union-attr]


#: (condition, Elasticsearch IR, Endgame IR); None: that dialect rejects it.
CASES = [
    ('x == "A"', ir.Compare("==", F("x"), L("A")), ir.Compare("==", F("x"), L("A"), True)),
    ('x == "a*"', ir.Compare("==", F("x"), L("a*")), ir.Match("wildcard", F("x"), ("a*",), True)),
    ('x != "a*"', ir.Compare("!=", F("x"), L("a*")),
     ir.Not(ir.Match("wildcard", F("x"), ("a*",), True))),
    ('"a*" == x', ir.Compare("==", L("a*"), F("x")), ir.Match("wildcard", F("x"), ("a*",), True)),
    ('x == "a?"', ir.Compare("==", F("x"), L("a?")), ir.Compare("==", F("x"), L("a?"), True)),
    ('x == "*a?"', ir.Compare("==", F("x"), L("*a?")),
     ir.Match("regex", F("x"), ("(?s).*a\\?",), True)),
    ("x == y", ir.Compare("==", F("x"), F("y")), ir.Compare("==", F("x"), F("y"), True)),
    ("x == null", ir.IsNull(F("x")), ir.IsNull(F("x"))),
    ("x == 1", ir.Compare("==", F("x"), L(1)), ir.Compare("==", F("x"), L(1), True)),
    ('x = "b"', None, ir.Compare("==", F("x"), L("b"), True)),
    ("x == 'b'", None, ir.Compare("==", F("x"), L("b"), True)),
    ("x == ?'C:\\d'", None, ir.Compare("==", F("x"), L("C:\\d"), True)),
    ('x == ?"a\\"b"', None, ir.Compare("==", F("x"), L('a"b'), True)),
    ('x in ("a", "b")', ir.In(F("x"), (L("a"), L("b"))), ir.In(F("x"), (L("a"), L("b")), True)),
    ('x in ("a",)', None, ir.In(F("x"), (L("a"),), True)),
    ('x : "a*"', ir.Match("wildcard", F("x"), ("a*",), True),
     ir.Match("wildcard", F("x"), ("a*",), True)),
    ('startsWith(x, "a")', ir.Call("startswith", (F("x"), L("a"))),
     ir.Call("startswith", (F("x"), L("a")), True)),
    ('wildcard(x, "a*", "b")', ir.Match("wildcard", F("x"), ("a*", "b")),
     ir.Match("wildcard", F("x"), ("a*", "b"), True)),
    ('match(x, "a.c")', ir.Match("regex", F("x"), ("(?s)a.c",)),
     ir.Match("regex", F("x"), ("(?:a.c)(?s:.*)",), True)),
    ('matchLite("a.c", x)', None, ir.Match("regex", F("x"), ("(?:a.c)(?s:.*)",), True)),
    ('between(x, "a", "b")', ir.Call("between", (F("x"), L("a"), L("b"))),
     ir.Call("between", (F("x"), L("a"), L("b")), True)),
    ('between(x, "a", "b", false, true)', None,
     ir.Call("between", (F("x"), L("a"), L("b"), L(False), L(True)), True)),
    ('safe(length(x)) > 2', None, ir.Compare(">", ir.Call("length", (F("x"),)), L(2))),
    ('arrayContains(x, "a", "b")', None, ir.In(F("x"), (L("a"), L("b")), True)),
    ("subtype.create", ir.Field(("subtype", "create")),
     ir.Compare("==", F("subtype"), L("create"), True)),
    ('descendant of [b where y == "z"]',
     ir.Lineage("descendant", ir.EventQuery("b", ir.Compare("==", F("y"), L("z")))),
     ir.Lineage("descendant", ir.EventQuery("b", ir.Compare("==", F("y"), L("z"), True)))),
    ('Child of [b where true]', None, ir.Lineage("child", ir.EventQuery("b", L(True)))),
]  # fmt: skip


@pytest.mark.parametrize(("text", "elasticsearch", "endgame"), CASES, ids=[c[0] for c in CASES])
def test_dialects_side_by_side(text: str, elasticsearch: ir.Expr | None, endgame: ir.Expr) -> None:
    assert cond(text, "endgame") == endgame
    if elasticsearch is None:
        with pytest.raises(Exception):  # noqa: B017 - each dialect error has its own test
            cond(text, "elasticsearch")
    else:
        assert cond(text, "elasticsearch") == elasticsearch


def test_array_search_lowers_its_condition_to_json_ir() -> None:
    call = cond('arraySearch(xs, item, item.user == "root" and item.n == y)', "endgame")
    assert isinstance(call, ir.Call) and call.name == "arraysearch"
    array, text, outer = call.args
    assert (array, outer) == (F("xs"), F("y"))
    assert element_condition(text.value) == ir.And((  # type: ignore[union-attr]
        ir.Compare("==", F("$", "user"), L("root"), True),
        ir.Compare("==", F("$", "n"), F("$outer", 0), True),
    ))  # fmt: skip
    defend = cond('_arraysearch(xs, $entry, $entry.a : "b*")', "elasticsearch")
    assert json.loads(defend.args[1].value)["node"] == "Match"  # type: ignore[union-attr]


def test_nested_array_functions() -> None:
    call = cond("arrayCount(xs, i, arrayCount(i.props, p, p.level == 2) == 1) == 1", "endgame")
    inner = element_condition(call.left.args[1].value)  # type: ignore[union-attr]
    nested = inner.left  # type: ignore[union-attr]
    assert nested.name == "arraycount" and nested.args[0] == F("$", "props")


@pytest.mark.parametrize(
    "text",
    [
        "join by a [b where true] [c where true] until [d where true] | count a, b",
        "a where x == 'y' | unique_count p | filter count > 2 | sort q | tail 3",
        "sequence by u [a where true] [b where true] | unique events[0].x",
    ],
)
def test_endgame_statements_print_and_parse_back(text: str) -> None:
    tree = parse(text)
    assert parse(to_eql(tree)) == tree
    compile_query(text, dialect="endgame")


ARRAY = {"xs": [{"user": "root", "props": [{"level": 1}, {"level": 2}]},
                {"user": "guest", "props": [{"level": 1}]}], "y": 1}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [  # the examples of Endgame's function reference
        ('arraySearch(xs, item, item.user == "root")', True),
        ("arraySearch(xs, item, item.props[0].level == 1)", True),
        ("arraySearch(xs, item, item.props[1].level == 4)", False),
        ("arraySearch(xs, item, arraySearch(item.props, p, p.level == 2))", True),
        ('arrayCount(xs, item, item.user == "root") == 1', True),
        ("arrayCount(xs, item, item.props[0].level == 1) == 2", True),
        ("arrayCount(xs, item, item.props[1].level == 4) == 0", True),
        ("arrayCount(xs, item, arrayCount(item.props, p, p.level == 2) == 1) == 1", True),
        ("arraySearch(xs, item, item.props[0].level == y)", True),
        ("arraySearch(missing, item, true)", False),
    ],
)
def test_array_functions_evaluate(text: str, expected: bool) -> None:
    from kestrel_core.events.model import Event
    from kestrel_core.runtime.interpreter import matches

    event = Event(("a",), 0, None, ARRAY, ARRAY)
    assert matches(cond(text, "endgame"), event) is expected
