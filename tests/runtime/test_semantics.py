"""IR + event -> match, one line per case, through the interpreter and the generated code."""

from __future__ import annotations

import pytest

from kestrel_core import ir
from kestrel_core.ir import And, Arith, Call, Compare, EventTime, In, IsNull, Match, Neg, Not, Or
from kestrel_core.ir import Field as F  # noqa: N817 - one-letter names keep the table short
from kestrel_core.ir import Literal as L  # noqa: N817

A, B, S, N, X = F(("a",)), F(("b",)), F(("s",)), F(("n",)), F(("missing",))
NESTED = F(("process", "name"))
T, FALSE, NULL = L(True), L(False), L(None)
NULLISH = Compare("==", X, L(1))  # null: compares a missing field


def cmp(op: str, left: ir.Expr, right: ir.Expr, ci: bool = False) -> Compare:
    return Compare(op, left, right, ci)  # type: ignore[arg-type]


def wc(operand: ir.Expr, *patterns: str, ci: bool = False) -> Match:
    return Match("wildcard", operand, patterns, ci)


def rx(operand: ir.Expr, *patterns: str, ci: bool = False) -> Match:
    return Match("regex", operand, patterns, ci)


EVENT = {"a": 1, "b": 2.5, "s": "Hello", "n": None, "flag": True, "list": ["x", None, "Y"],
         "nums": [1, 5], "empty": [], "nulls": [None], "mixed": ["a", 3, True],
         "process": {"name": "cmd.exe", "args": ["-a", "-b"]}, "flat.dotted": "yes",
         "uni": "ÄÖÜ straße", "nl": "line1\nline2", "star": "a*b", "back": "C:\\Windows\\x"}

CASES = [
    # literals and fields as conditions
    (T, True), (FALSE, False), (NULL, False), (L("x"), False), (F(("flag",)), True),
    (Not(F(("flag",))), False), (F(("s",)), False), (Not(F(("s",))), False),
    # three-valued logic: not / and / or truth tables with null
    (Not(T), False), (Not(FALSE), True), (Not(NULLISH), False), (Not(Not(NULLISH)), False),
    (And((T, T)), True), (And((T, FALSE)), False), (And((T, NULLISH)), False),
    (Not(And((T, NULLISH))), False), (Not(And((FALSE, NULLISH))), True),
    (Or((FALSE, NULLISH)), False), (Not(Or((FALSE, NULLISH))), False),
    (Or((T, NULLISH)), True), (Not(Or((FALSE, FALSE))), True), (Or((NULLISH, T)), True),
    (And((And((T, T)), And((T, Or((FALSE, T)))))), True),
    # is null
    (IsNull(X), True), (IsNull(N), True), (IsNull(A), False), (Not(IsNull(X)), False),
    (IsNull(F(("empty",))), True), (IsNull(F(("nulls",))), True), (IsNull(F(("list",))), False),
    (IsNull(Arith("/", A, L(0))), True), (IsNull(EventTime()), False),
    # comparisons: numbers, strings, mixed kinds, null
    (cmp("==", A, L(1)), True), (cmp("==", A, L(1.0)), True), (cmp("!=", A, L(2)), True),
    (cmp("<", A, B), True), (cmp(">=", B, L(2.5)), True), (cmp(">", L(3), A), True),
    (cmp("==", S, L("Hello")), True), (cmp("==", S, L("hello")), False),
    (cmp("==", S, L("hello"), ci=True), True), (cmp("!=", S, L("HELLO"), ci=True), False),
    (cmp("<", S, L("Help")), True), (cmp("<", S, L("help"), ci=True), True),
    (cmp("==", A, L("1")), False), (cmp("!=", A, L("1")), True), (cmp("<", A, L("2")), False),
    (Not(cmp("<", A, L("2"))), False), (cmp("==", F(("flag",)), L(1)), False),
    (cmp("!=", F(("flag",)), L(1)), True), (cmp("==", F(("flag",)), T), True),
    (cmp("<", F(("flag",)), T), False), (Not(cmp("<", F(("flag",)), T)), False),
    (cmp("==", X, L(1)), False), (cmp("!=", X, L(1)), False), (Not(cmp("==", X, L(1))), False),
    (cmp("==", X, NULL), False), (cmp("!=", A, NULL), False), (cmp("==", A, A), True),
    (cmp("==", NESTED, L("cmd.exe")), True), (cmp("==", F(("flat", "dotted")), L("yes")), True),
    (cmp("==", F(("process", "args", 1)), L("-b")), True), (cmp("==", EventTime(), L(1000)), True),
    # multi-valued fields: any element; not = no element
    (cmp("==", F(("list",)), L("x")), True), (cmp("==", F(("list",)), L("y"), ci=True), True),
    (cmp("==", F(("list",)), L("z")), False), (Not(cmp("==", F(("list",)), L("x"))), False),
    (Not(cmp("==", F(("list",)), L("z"))), True), (cmp("!=", F(("list",)), L("x")), True),
    (cmp(">", F(("nums",)), L(4)), True), (Not(cmp(">", F(("nums",)), L(9))), True),
    (cmp("==", F(("empty",)), L("x")), False), (Not(cmp("==", F(("empty",)), L("x"))), False),
    (Not(cmp("==", F(("nulls",)), L("x"))), False), (cmp("==", F(("mixed",)), T), True),
    (cmp("==", F(("mixed",)), L(1)), False), (cmp("==", F(("process", "args")), L("-a")), True),
    (cmp("==", F(("list",)), F(("mixed",))), False), (cmp("==", F(("mixed",)), F(("list",))), False),
    # in
    (In(S, (L("a"), L("Hello"))), True), (In(S, (L("hello"),)), False),
    (In(S, (L("HELLO"),), True), True), (In(A, (L(1.0), L("x"))), True),
    (In(A, (NULL,)), False), (Not(In(A, (NULL,))), True), (In(X, (L(1),)), False),
    (Not(In(X, (L(1),))), False), (In(F(("flag",)), (L(1),)), False), (In(F(("flag",)), (T,)), True),
    (In(F(("list",)), (L("Y"),)), True), (Not(In(F(("list",)), (L("q"),))), True),
    (Not(In(F(("empty",)), (L("q"),))), False), (In(L("Hello"), (S,)), True),
    (In(S, (F(("list",)), L("Hello"))), True), (In(L("x"), (F(("list",)),)), True),
    # wildcards
    (wc(S, "Hello"), True), (wc(S, "hello"), False), (wc(S, "hello", ci=True), True),
    (wc(S, "He*"), True), (wc(S, "*llo"), True), (wc(S, "*ell*"), True), (wc(S, "H*o"), True),
    (wc(S, "H?llo"), True), (wc(S, "H?lo"), False), (wc(S, "*"), True), (wc(S, "?????"), True),
    (wc(S, "H*l*o"), True), (wc(S, "x*", "*q", "Hel*"), True), (wc(S, ""), False),
    # no escapes in wildcards: a backslash is a literal character, as in Elasticsearch EQL
    (wc(F(("star",)), "a\\*b"), False), (wc(F(("star",)), "a\\?b"), False),
    (wc(L("a?b"), "a\\?b"), False), (wc(F(("star",)), "a\\*"), False), (wc(F(("star",)), "a*"), True),
    (wc(F(("back",)), "C:\\\\Windows\\\\*"), False), (wc(F(("back",)), "c:\\windows\\*", ci=True), True),
    (wc(F(("back",)), "c:\\\\windows\\\\*", ci=True), False), (wc(F(("back",)), "C:\\Windows\\?"), True),
    (wc(F(("back",)), "*\\x"), True), (wc(L(""), ""), True), (wc(L(""), "*"), True),
    (wc(F(("uni",)), "äöü*", ci=True), True), (wc(F(("uni",)), "*STRASSE", ci=True), False),
    (wc(F(("uni",)), "ÄÖÜ?straße"), True), (wc(F(("nl",)), "line1?line2"), True),
    (wc(F(("nl",)), "line1*"), True), (wc(A, "1"), False), (Not(wc(A, "1")), True),
    (wc(X, "*"), False), (Not(wc(X, "*")), False), (wc(F(("list",)), "y", ci=True), True),
    (Not(wc(F(("list",)), "q*")), True), (wc(F(("mixed",)), "3"), False),
    (wc(F(("process", "name")), "*.EXE", ci=True), True),
    # regular expressions (RE2 syntax, whole-string match)
    (rx(S, "H.llo"), True), (rx(S, "ell"), False), (rx(S, ".*ell.*"), True),
    (rx(S, "hello"), False), (rx(S, "hello", ci=True), True), (rx(S, "[A-Z]ello"), True),
    (rx(S, "x", "Hel+o"), True), (rx(F(("nl",)), "line1.line2"), True), (rx(L(""), ""), True),
    (rx(F(("uni",)), "Ä.Ü.*"), True), (rx(F(("list",)), "[a-z]"), True), (rx(X, ".*"), False),
    # arithmetic
    (cmp("==", Arith("+", A, B), L(3.5)), True), (cmp("==", Arith("-", A, L(3)), L(-2)), True),
    (cmp("==", Arith("*", A, L(4)), L(4)), True), (cmp("==", Arith("/", L(7), L(2)), L(3)), True),
    (cmp("==", Arith("/", L(-7), L(2)), L(-3)), True), (cmp("==", Arith("/", L(7.0), L(2)), L(3.5)), True),
    (cmp("==", Arith("%", L(-7), L(2)), L(-1)), True), (cmp("==", Arith("%", L(7), L(-2)), L(1)), True),
    (IsNull(Arith("%", L(7), L(0))), True), (IsNull(Arith("+", S, L(1))), True),
    (IsNull(Arith("+", F(("flag",)), L(1))), True), (cmp("==", Neg(A), L(-1)), True),
    (IsNull(Neg(S)), True), (cmp("<", Arith("+", A, X), L(5)), False),
    # functions
    (Call("startswith", (S, L("He"))), True), (Call("startswith", (S, L("he"))), False),
    (Call("startswith", (S, L("he")), True), True), (Call("endswith", (S, L("LO")), True), True),
    (Call("stringcontains", (S, L("ell"))), True), (Call("stringcontains", (S, L(""))), False),
    (Not(Call("stringcontains", (X, L("a")))), False), (Call("endswith", (F(("list",)), L("y")), True), True),
    (cmp("==", Call("length", (S,)), L(5)), True), (cmp("==", Call("length", (F(("list",)),)), L(3)), True),
    (cmp("==", Call("concat", (S, L(1), T)), L("Hello1true")), True), (IsNull(Call("concat", (S, X))), True),
    (cmp("==", Call("substring", (S, L(-3))), L("llo")), True), (cmp("==", Call("indexof", (S, L("l"), L(3))), L(3)), True),
    (cmp("==", Call("between", (S, L("H"), L("o"))), L("ell")), True), (Call("cidrmatch", (L("10.1.2.3"), L("10.0.0.0/8"))), True),
    (cmp("==", Call("number", (L("0x10"), L(16))), L(16)), True), (cmp("==", Call("string", (A,)), L("1")), True),
    (cmp("==", Call("add", (A, L(2))), L(3)), True), (cmp("==", Call("modulo", (L(-7), L(3))), L(-1)), True),
]


@pytest.mark.parametrize(("expr", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_semantics(check, expr: ir.Expr, expected: bool) -> None:
    check(expr, EVENT, expected)


def test_every_node_kind_is_covered() -> None:
    kinds = {type(node).__name__ for expr, _ in CASES for node in ir.walk(expr)}
    assert kinds >= {"Literal", "Field", "EventTime", "Compare", "IsNull", "And", "Or", "Not",
                     "In", "Match", "Arith", "Neg", "Call"}
