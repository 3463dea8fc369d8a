"""EQL text -> Kestrel IR: one line per case (sqlglot's ``validate_all`` style)."""

from __future__ import annotations

import pytest

from kestrel_core import ir
from kestrel_core.ir import (
    And,
    Arith,
    Call,
    Compare,
    EventQuery,
    EventTime,
    In,
    IsNull,
    Match,
    Neg,
    Not,
    Or,
    Pipe,
    Query,
    SampleQuery,
    SequenceQuery,
    Step,
)
from kestrel_eql import compile_query

L = ir.Literal
T = EventTime()
S, M, H = 1_000_000_000, 60_000_000_000, 3_600_000_000_000


def F(dotted: str, optional: bool = False) -> ir.Field:
    """``"a.b[0]"`` -> ``Field(("a", "b", 0))``."""
    path: list[str | int] = []
    for part in dotted.split("."):
        name, *indexes = part.replace("]", "").split("[")
        path.append(name)
        path.extend(int(i) for i in indexes)
    return ir.Field(tuple(path), optional)


def P(condition: ir.Expr, category: str | None = "process") -> Query:
    """An event query."""
    return Query(EventQuery(category, condition))


def E(category: str | None, condition: ir.Expr = ir.TRUE) -> EventQuery:
    return EventQuery(category, condition)


def EQ(left: ir.Expr, right: ir.Expr, ci: bool = False) -> Compare:
    return Compare("==", left, right, ci)


CASES = [
    # comparisons
    ('process where a == 1', P(EQ(F("a"), L(1)))),
    ('process where a != "x"', P(Compare("!=", F("a"), L("x")))),
    ('process where a < 1.5', P(Compare("<", F("a"), L(1.5)))),
    ('process where 0 <= a', P(Compare("<=", L(0), F("a")))),
    ('process where a > -1', P(Compare(">", F("a"), L(-1)))),
    ('process where a >= b', P(Compare(">=", F("a"), F("b")))),
    ('process where a == true', P(EQ(F("a"), L(True)))),
    ('process where a == null', P(IsNull(F("a")))),
    ('process where null == a', P(IsNull(F("a")))),
    ('process where a != null', P(Not(IsNull(F("a"))))),
    ('process where ?a.b != null', P(Not(IsNull(F("a.b", optional=True))))),
    ('process where null == (a > -1)', P(IsNull(Compare(">", F("a"), L(-1))))),
    ('process where a', P(F("a"))),
    ('process where true', P(L(True))),
    # `:` -- case-insensitive equality, wildcards, lists
    ('process where a : "cmd.exe"', P(EQ(F("a"), L("cmd.exe"), ci=True))),
    ('process where a : "cmd*"', P(Match("wildcard", F("a"), ("cmd*",), True))),
    ('process where a : "c?d"', P(Match("wildcard", F("a"), ("c?d",), True))),
    ('process where a : ("x", "y")', P(In(F("a"), (L("x"), L("y")), True))),
    ('process where a : ("x*", "y")', P(Match("wildcard", F("a"), ("x*", "y"), True))),
    ('process where a : 0', P(EQ(F("a"), L(0), ci=True))),
    # like / regex
    ('process where a like "x*"', P(Match("wildcard", F("a"), ("x*",)))),
    ('process where a like "x"', P(Match("wildcard", F("a"), ("x",)))),
    ('process where a like~ ("X*", "?y")', P(Match("wildcard", F("a"), ("X*", "?y"), True))),
    ('process where a regex "ab+"', P(Match("regex", F("a"), ("ab+",)))),
    ('process where a regex~ "a.b"', P(Match("regex", F("a"), ("(?s)a.b",), True))),
    ('process where a regex ("a|b", "c{2}")', P(Match("regex", F("a"), ("a|b", "c{2}")))),
    ('process where a regex "^x$"', P(Match("regex", F("a"), ("\\x{5e}x\\x{24}",)))),
    # in
    ('process where a in (1, 2)', P(In(F("a"), (L(1), L(2))))),
    ('process where a in~ ("x")', P(In(F("a"), (L("x"),), True))),
    ('process where a not in (1, b)', P(Not(In(F("a"), (L(1), F("b")))))),
    ('process where a not in~ ("x")', P(Not(In(F("a"), (L("x"),), True)))),
    # boolean operators: flattened, precedence or < and < not
    ('process where a and b and c', P(And((F("a"), F("b"), F("c"))))),
    ('process where a or b or c', P(Or((F("a"), F("b"), F("c"))))),
    ('process where a or b and c', P(Or((F("a"), And((F("b"), F("c"))))))),
    ('process where (a or b) and c', P(And((Or((F("a"), F("b"))), F("c"))))),
    ('process where not a and b', P(And((Not(F("a")), F("b"))))),
    ('process where not a == 1', P(Not(EQ(F("a"), L(1))))),
    ('process where not not a', P(Not(Not(F("a"))))),
    # arithmetic: precedence and folding
    ('process where a + 1 == 2', P(EQ(Arith("+", F("a"), L(1)), L(2)))),
    ('process where a + b * c == 2', P(EQ(Arith("+", F("a"), Arith("*", F("b"), F("c"))), L(2)))),
    ('process where a - b - c == 0', P(EQ(Arith("-", Arith("-", F("a"), F("b")), F("c")), L(0)))),
    ('process where a % 2 == 1', P(EQ(Arith("%", F("a"), L(2)), L(1)))),
    ('process where -a == 1', P(EQ(Neg(F("a")), L(1)))),
    ('process where a == 1 + 2 * 3', P(EQ(F("a"), L(7)))),
    ('process where a == 7 / 2', P(EQ(F("a"), L(3)))),
    ('process where a == -7 / 2', P(EQ(F("a"), L(-3)))),
    ('process where a == -7 % 3', P(EQ(F("a"), L(-1)))),
    ('process where a == 7.0 / 2', P(EQ(F("a"), L(3.5)))),
    ('process where a == 1 / 0', P(IsNull(F("a")))),
    ('process where a == -(2 - 5)', P(EQ(F("a"), L(3)))),
    ('process where 1 < 2', P(L(True))),
    ('process where a and not true', P(And((F("a"), L(False))))),
    ('process where false or null', P(L(None))),
    ('process where 1 == 1 and 2 == 3', P(L(False))),
    # functions
    ('process where startsWith(a, "x")', P(Call("startswith", (F("a"), L("x"))))),
    ('process where STARTSWITH~(a, "x")', P(Call("startswith", (F("a"), L("x")), True))),
    ('process where stringContains~(a, "x")', P(Call("stringcontains", (F("a"), L("x")), True))),
    ('process where contains(a, "x")', P(Call("stringcontains", (F("a"), L("x"))))),
    ('process where length(a) > 3', P(Compare(">", Call("length", (F("a"),)), L(3)))),
    ('process where cidrMatch(ip, "10.0.0.0/8", "::1/128")',
     P(Call("cidrmatch", (F("ip"), L("10.0.0.0/8"), L("::1/128"))))),
    ('process where substring(a, -4) : ".exe"',
     P(EQ(Call("substring", (F("a"), L(-4))), L(".exe"), ci=True))),
    ('process where concat(a, "::", 1) == "x"', P(EQ(Call("concat", (F("a"), L("::"), L(1))), L("x")))),
    ('process where number("0x32", 16) == a', P(EQ(Call("number", (L("0x32"), L(16))), F("a")))),
    ('process where between~(a, "s", "e", true) : "x"',
     P(EQ(Call("between", (F("a"), L("s"), L("e"), L(True)), True), L("x"), ci=True))),
    ('process where wildcard(a, "x*", "y")', P(Match("wildcard", F("a"), ("x*", "y")))),
    ('process where wildcard~(a, "x*")', P(Match("wildcard", F("a"), ("x*",), True))),
    ('process where match(a, "x.*")', P(Match("regex", F("a"), ("(?s)x.*",)))),
    ('process where regex~(a, "x")', P(Match("regex", F("a"), ("x",), True))),
    # fields
    ('process where process.args[0] == "x"', P(EQ(F("process.args[0]"), L("x")))),
    ('process where `my field`.x == 1', P(EQ(ir.Field(("my field", "x")), L(1)))),
    ('process where `sequence` == 1', P(EQ(F("sequence"), L(1)))),
    ('process where @timestamp_pretty == 1', P(EQ(F("@timestamp_pretty"), L(1)))),
    # @timestamp
    # compared at the literal's resolution: milliseconds, or the digits an ISO fraction spells
    ('process where @timestamp == 1516116808349',
     P(And((Compare(">=", T, L(1516116808349000000)), Compare("<", T, L(1516116808350000000)))))),
    ('process where @timestamp > 1516116808349', P(Compare(">=", T, L(1516116808350000000)))),
    ('process where @timestamp <= 1516116808349', P(Compare("<", T, L(1516116808350000000)))),
    ('process where @timestamp < "2017-08-30T20:47:32Z"',
     P(Compare("<", T, L(1504126052000000000)))),
    ('process where @timestamp == "1974-03-03T02:22:54.294365140Z"',
     P(And((Compare(">=", T, L(131509374294365140)), Compare("<", T, L(131509374294365141)))))),
    ('process where "1970-01-01T00:00:01.5+01:00" < @timestamp',
     P(Compare(">=", T, L(-3598499000000)))),
    ('process where @timestamp != 0',
     P(Not(And((Compare(">=", T, L(0)), Compare("<", T, L(1000000))))))),
    ('process where @timestamp in (0, 1)', P(In(T, (L(0), L(1000000))))),
    ('process where @timestamp != null', P(Not(IsNull(T)))),
    ('process where add(@timestamp, 1) > 0', P(Compare(">", Call("add", (T, L(1))), L(0)))),
    # categories
    ('any where true', P(L(True), None)),
    ('"my category" where true', P(L(True), "my category")),
    ('OPTIONAL where ?x == null', P(IsNull(F("x", optional=True)), "OPTIONAL")),
    # pipes
    ('process where true | head 5', Query(E("process"), (Pipe("head", (5,)),))),
    ('process where true | head 4 | tail 2',
     Query(E("process"), (Pipe("head", (4,)), Pipe("tail", (2,))))),
    # sequences
    ('sequence [a where true] [b where true]', Query(SequenceQuery((Step(E("a")), Step(E("b")))))),
    ('sequence by k [a where true] [b where true]',
     Query(SequenceQuery((Step(E("a"), (F("k"),)), Step(E("b"), (F("k"),)))))),
    ('sequence by k with maxspan=5m [a where true] by x [b where true] by y',
     Query(SequenceQuery((Step(E("a"), (F("k"), F("x"))), Step(E("b"), (F("k"), F("y")))), 5 * M))),
    ('sequence with maxspan=500ms [a where true] [b where true]',
     Query(SequenceQuery((Step(E("a")), Step(E("b"))), 500_000_000))),
    ('sequence with maxspan=2h [a where true] [b where true]',
     Query(SequenceQuery((Step(E("a")), Step(E("b"))), 2 * H))),
    ('sequence with maxspan=1d [a where true] [b where true]',
     Query(SequenceQuery((Step(E("a")), Step(E("b"))), 24 * H))),
    ('sequence [a where true] with runs=3 [b where true]',
     Query(SequenceQuery((Step(E("a"), runs=3), Step(E("b")))))),
    ('sequence [a where true] by x with runs=2',
     Query(SequenceQuery((Step(E("a"), (F("x"),), runs=2),)))),
    ('sequence with maxspan=1s [a where true] ![b where x == 1] [c where true]',
     Query(SequenceQuery((Step(E("a")), Step(E("b", EQ(F("x"), L(1))), missing=True),
                          Step(E("c"))), 1 * S))),
    ('sequence by k [a where true] [b where true] until [c where true]',
     Query(SequenceQuery((Step(E("a"), (F("k"),)), Step(E("b"), (F("k"),))), None,
                         Step(E("c"), (F("k"),))))),
    ('sequence [a where true] by x [b where true] by y until [c where true] by z | head 1',
     Query(SequenceQuery((Step(E("a"), (F("x"),)), Step(E("b"), (F("y"),))), None,
                         Step(E("c"), (F("z"),))), (Pipe("head", (1,)),))),
    # samples
    ('sample by h [a where true] [b where true]',
     Query(SampleQuery((Step(E("a"), (F("h"),)), Step(E("b"), (F("h"),)))))),
    ('sample [a where true] by x [any where true] by y',
     Query(SampleQuery((Step(E("a"), (F("x"),)), Step(E(None), (F("y"),)))))),
    ('sample by ?h [a where true] by x [b where true] by y',
     Query(SampleQuery((Step(E("a"), (F("h", True), F("x"))), Step(E("b"), (F("h", True), F("y"))))))),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_lower(text: str, expected: Query) -> None:
    assert compile_query(text) == expected


def test_there_are_many_cases() -> None:
    assert len(CASES) >= 60
