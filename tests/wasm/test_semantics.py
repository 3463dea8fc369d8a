"""Every IR node kind, the null-logic truth tables and random predicates, against the reference
interpreter (``kestrel_core.runtime.interpreter``)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kestrel_core import ir
from kestrel_core.events.model import Event
from kestrel_core.runtime.interpreter import evaluate

F, L = ir.Field, ir.Literal
T, FA, N = L(True), L(False), L(None)


def ev(fields: dict, categories: tuple[str, ...] = ("process",), ts: int | None = 5) -> Event:
    return Event(categories, ts, None, fields, fields)


def hits_of(runtime, conds, events, category=None):
    preds = [ir.Predicate(i, f"r{i}", 0, category, c) for i, c in enumerate(conds)]
    return runtime.compile(preds, None).evaluate(events), preds


def expected(preds, events):
    return sorted(
        (e, p.id)
        for e, event in enumerate(events)
        for p in preds
        if (p.category is None or p.category in event.categories)
        and evaluate(p.condition, event) is True
    )


EVENTS = [
    ev({"a": "x", "cmd": "certutil -urlcache -f", "n": 2, "f": 1.5, "ip": "10.1.2.3", "b": True}),
    ev({"a": ["y", "X", None], "cmd": "ABC", "n": 1.0, "ip": ["::1", "192.168.0.1"]}),
    ev({"a": None, "cmd": ["q", "Certx"], "n": "z", "f": float("nan")}, ("file",)),
    ev({"a": [], "n": 2**70, "nested": {"k": "v"}, "cmd": "Ünïcödé ΣΑΣ"}, (), None),
    ev({}),
]

# One line per case: the node kinds and functions, each against the interpreter.
CASES = [
    T,
    FA,
    N,
    L(1),
    L("s"),
    F(("b",)),
    ir.EventTime(),
    ir.Compare("==", F(("a",)), L("x")),
    ir.Compare("!=", F(("a",)), L("x")),
    ir.Compare("==", F(("a",)), L("x"), True),
    ir.Compare("<", F(("a",)), L("y")),
    ir.Compare(">=", F(("n",)), L(2)),
    ir.Compare("<", F(("f",)), L(2)),
    ir.Compare("==", F(("n",)), L("z")),
    ir.Compare("==", F(("nested",)), F(("nested",))),
    ir.Compare(">", ir.EventTime(), L(3)),
    ir.IsNull(F(("a",))),
    ir.Not(ir.IsNull(F(("missing",)))),
    ir.And((ir.Compare("==", F(("a",)), L("x")), N)),
    ir.Or((ir.Compare("==", F(("a",)), L("x")), N)),
    ir.Not(ir.Compare("==", F(("a",)), L("y"))),
    ir.In(F(("a",)), (L("x"), L("y"), N)),
    ir.In(F(("a",)), (L("X"),), True),
    ir.In(F(("n",)), (L(1), L(2.0))),
    ir.In(F(("a",)), (F(("cmd",)), L("y"))),
    ir.Match("wildcard", F(("cmd",)), ("*urlcache*",)),
    ir.Match("wildcard", F(("cmd",)), ("cert*", "*x", "a?c", "*?n?c*", "q"), True),
    ir.Match("wildcard", F(("cmd",)), ("*Σ*",), True),
    ir.Match("regex", F(("cmd",)), ("cert.*", "[a-c]+"), True),
    ir.Compare("==", ir.Arith("+", F(("n",)), L(1)), L(3)),
    ir.Compare("==", ir.Arith("/", F(("n",)), L(0)), L(3)),
    ir.Compare("<", ir.Arith("%", L(-7), L(2)), L(0)),
    ir.Compare("==", ir.Arith("*", F(("n",)), F(("f",))), L(3.0)),
    ir.Compare("<", ir.Neg(F(("n",))), L(0)),
    ir.Call("startswith", (F(("cmd",)), L("CERT")), True),
    ir.Call("endswith", (F(("cmd",)), L("x"))),
    ir.Call("stringcontains", (F(("cmd",)), L("url"))),
    ir.Compare("==", ir.Call("length", (F(("cmd",)),)), L(3)),
    ir.Compare("==", ir.Call("length", (F(("a",)),)), L(3)),
    ir.Compare("==", ir.Call("indexof", (F(("cmd",)), L("c"), L(1))), L(5)),
    ir.Compare("==", ir.Call("substring", (F(("cmd",)), L(1), L(-1))), L("ertutil -urlcache -")),
    ir.Compare("==", ir.Call("concat", (F(("a",)), L("-"), F(("n",)))), L("x-2")),
    ir.Compare("==", ir.Call("concat", (F(("f",)),)), L("1.5")),
    ir.Compare("==", ir.Call("string", (F(("b",)),)), L("true")),
    ir.Compare("==", ir.Call("between", (F(("cmd",)), L("cert"), L(" "))), L("util")),
    ir.Compare("==", ir.Call("between", (F(("cmd",)), L("C"), L("-")), True), L("util")),
    ir.Call("cidrmatch", (F(("ip",)), L("10.0.0.0/8"), L("192.168.0.0/16"))),
    ir.Compare("==", ir.Call("number", (L("42"),)), L(42)),
    ir.Compare("==", ir.Call("number", (L("4.5"),)), L(4.5)),
    ir.Compare("==", ir.Call("add", (F(("n",)), L(1))), L(3)),
    ir.Compare("==", ir.Call("subtract", (F(("n",)), L(1))), L(1)),
    ir.Compare("==", ir.Call("multiply", (F(("n",)), L(2))), L(4)),
    ir.Compare("==", ir.Call("divide", (F(("n",)), L(2))), L(1)),
    ir.Compare("==", ir.Call("modulo", (F(("n",)), L(2))), L(0)),
]


@pytest.mark.parametrize("cond", CASES, ids=lambda c: repr(c)[:70])
def test_node_against_interpreter(runtime, cond):
    hits, preds = hits_of(runtime, [cond], EVENTS)
    assert hits == expected(preds, EVENTS)


# Truth tables: (left, right, and, or, not-left); None is null.
TRUTH = [
    (True, True, True, True, False),
    (True, False, False, True, False),
    (True, None, None, True, False),
    (False, None, False, None, True),
    (None, None, None, None, None),
    (False, False, False, False, True),
]


@pytest.mark.parametrize(("a", "b", "and_", "or_", "not_"), TRUTH)
def test_three_valued_truth_tables(runtime, a, b, and_, or_, not_):
    conds = [ir.And((L(a), L(b))), ir.Or((L(a), L(b))), ir.Not(L(a))]
    hits, _ = hits_of(runtime, conds, [ev({})])
    got = {p for _, p in hits}
    assert (0 in got, 1 in got, 2 in got) == (and_ is True, or_ is True, not_ is True)
    # false-branch: the negation is true exactly when the value is false
    hits, _ = hits_of(runtime, [ir.Not(c) for c in conds], [ev({})])
    got = {p for _, p in hits}
    assert (0 in got, 1 in got, 2 in got) == (and_ is False, or_ is False, not_ is False)


def test_category_filter(runtime):
    cond = ir.Compare("==", F(("a",)), L("x"))
    hits, preds = hits_of(runtime, [cond], EVENTS, category="process")
    assert hits == expected(preds, EVENTS) == [(0, 0)]


# ---- random events and predicates ------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**65), 2**65),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet="aAbB*?\\.-1 İßΣσς", max_size=6),
)
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.just({"k": "v"}))
NAMES = ("a", "b", "c")
events_st = st.lists(
    st.dictionaries(st.sampled_from(NAMES), values, max_size=3).map(ev), min_size=1, max_size=6
)
lit_values = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(-3, 3), st.text("aAbB1ß", max_size=3)
)


def exprs() -> st.SearchStrategy[ir.Expr]:
    leaf = st.one_of(st.sampled_from(NAMES).map(lambda n: F((n,))), lit_values.map(L))
    texts = st.text("aAbB*?1Σ", max_size=4)

    def grow(children):
        bools = st.booleans()
        return st.one_of(
            st.builds(
                ir.Compare,
                st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
                children,
                children,
                bools,
            ),
            st.builds(ir.IsNull, children),
            st.builds(ir.Not, children),
            st.builds(ir.And, st.lists(children, min_size=2, max_size=3)),
            st.builds(ir.Or, st.lists(children, min_size=2, max_size=3)),
            st.builds(ir.In, children, st.lists(leaf, max_size=3), bools),
            st.builds(
                ir.Match,
                st.just("wildcard"),
                children,
                st.lists(texts, min_size=1, max_size=2),
                bools,
            ),
            st.builds(ir.Arith, st.sampled_from(["+", "-", "*", "/", "%"]), children, children),
            st.builds(ir.Neg, children),
            st.builds(
                ir.Call,
                st.sampled_from(["startswith", "endswith", "stringcontains", "indexof"]),
                st.lists(children, min_size=2, max_size=2),
                bools,
            ),
            st.builds(
                ir.Call,
                st.sampled_from(["length", "string", "number"]),
                st.lists(children, min_size=1, max_size=1),
            ),
            st.builds(ir.Call, st.just("concat"), st.lists(children, min_size=1, max_size=3)),
            st.builds(ir.Call, st.just("substring"), st.lists(children, min_size=2, max_size=3)),
        )

    return st.recursive(leaf, grow, max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conds=st.lists(exprs(), min_size=1, max_size=4), events=events_st)
def test_random_predicates_agree_with_interpreter(runtime, conds, events):
    hits, preds = hits_of(runtime, conds, events)
    assert hits == expected(preds, events)
