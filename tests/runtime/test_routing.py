"""The router of the python runtime: which atoms a condition implies, and that an event reaches
only the predicates one of whose atoms holds (for ``any where`` rules too)."""

from __future__ import annotations

import pytest

from kestrel_core import ir
from kestrel_core.runtime import interpreter
from kestrel_core.runtime.python import PythonRuntime
from kestrel_core.runtime.python.index import (
    BASE,
    EQ,
    LIT,
    PRESENT,
    SLASH_BASE,
    TAIL,
    Atom,
    basename,
    plan,
    required_fields,
    requirement,
    wildcard_atom,
)

from .conftest import make_event

IMAGE, CMD, OFN = ir.Field(("Image",)), ir.Field(("CommandLine",)), ir.Field(("OriginalFileName",))


def wild(field: ir.Field, *patterns: str, ci: bool = True) -> ir.Match:
    return ir.Match("wildcard", field, patterns, ci)


@pytest.mark.parametrize(("pattern", "atom"), [
    ("*\\rundll32.exe", Atom(BASE, ("Image",), True, "rundll32.exe")),
    ("*\\System32\\RunDLL32.exe", Atom(BASE, ("Image",), True, "rundll32.exe")),
    ("*/bin/who", Atom(SLASH_BASE, ("Image",), True, "who")),
    ("*/w", Atom(SLASH_BASE, ("Image",), True, "w")),
    ("*\\", Atom(BASE, ("Image",), True, "")),
    ("C:\\Windows\\cmd.exe", Atom(EQ, ("Image",), True, "c:\\windows\\cmd.exe")),
    ("*whoami*", Atom(LIT, ("Image",), True, "whoami")),
    ("*rundll32.exe", Atom(LIT, ("Image",), True, "rundll32.exe")),
    ("C:\\Windows\\*", Atom(LIT, ("Image",), True, "c:\\windows\\")),
    ("?:\\x\\a.exe", Atom(LIT, ("Image",), True, ":\\x\\a.exe")),  # a '?' is no separator key
    ("* ", Atom(TAIL, ("Image",), True, " ")),
    ("*a?b", Atom(TAIL, ("Image",), True, "b")),
    ("*", Atom(PRESENT, ("Image",))),
    ("a*", Atom(PRESENT, ("Image",))),
])
def test_wildcard_atoms(pattern: str, atom: Atom) -> None:
    assert wildcard_atom(("Image",), pattern, True) == atom


def test_basename_takes_the_text_after_the_last_separator() -> None:
    assert basename("C:\\a/b\\c.exe") == "c.exe"
    assert basename("/usr/bin/who", "/") == "who"
    assert basename("plain") == "plain"


def test_sigma_shape_is_filed_under_every_disjunct() -> None:
    # (Image:"*\\a.exe" and CommandLine:"*-secret*") or OriginalFileName:"A.EXE"
    cond = ir.Or((
        ir.And((wild(IMAGE, "*\\a.exe"), wild(CMD, "*-secret-flag*"))),
        wild(OFN, "A.EXE"),
    ))
    req = requirement(cond)
    assert req is not None
    assert Atom(EQ, ("OriginalFileName",), True, "a.exe") in req
    assert len(req) == 2
    assert required_fields(cond) == frozenset()


def test_negations_need_the_field_but_have_no_key() -> None:
    cond = ir.And((ir.Not(wild(IMAGE, "*\\*")), ir.Not(ir.IsNull(CMD))))
    assert requirement(cond) in (
        frozenset([Atom(PRESENT, ("Image",))]), frozenset([Atom(PRESENT, ("CommandLine",))]),
    )
    assert required_fields(cond) == {("Image",), ("CommandLine",)}


def test_conditions_that_cannot_be_true_are_never_evaluated() -> None:
    never = ir.Compare("==", IMAGE, ir.Literal(None))
    assert requirement(never) == frozenset()
    assert requirement(ir.Or((ir.FALSE, never))) == frozenset()
    assert requirement(ir.TRUE) is None
    (cat,) = plan([ir.Predicate(0, "r", 0, None, never)])
    assert cat.kind_of(0) == "never"


def test_any_where_rules_are_routed_not_scanned() -> None:
    preds = [
        ir.Predicate(0, "a", 0, None, ir.And((wild(IMAGE, "*\\rundll32.exe"),
                                              wild(CMD, "*zxFunction*")))),
        ir.Predicate(1, "b", 0, None, wild(IMAGE, "*\\whoami.exe")),
        ir.Predicate(2, "c", 0, None, ir.Or((wild(CMD, "* "), wild(IMAGE, "* ")))),
    ]
    compiled = PythonRuntime().compile(preds, None)
    stats = compiled.stats()
    assert stats["scanned"] == 0 and stats["guarded"] == 0
    events = [
        make_event({"Image": "C:\\Windows\\System32\\RUNDLL32.EXE", "CommandLine": "x zxfunction"},
                   ("process",)),
        make_event({"Image": "C:\\x\\whoami.exe"}, ("registry",)),
        make_event({"Image": "C:\\x\\notepad.exe", "CommandLine": "a "}, ()),
        make_event({"Image": "C:\\x\\notepad.exe"}, ()),
    ]
    assert compiled.evaluate(events) == [(0, 0), (1, 1), (2, 2)]
    # the last event reaches no predicate at all; the others only the one that matches
    assert compiled.stats()["predicates_evaluated"] == 3


def test_lists_and_case_reach_basename_and_tail_keys() -> None:
    preds = [
        ir.Predicate(0, "base", 0, None, wild(IMAGE, "*\\a.exe")),
        ir.Predicate(1, "slash", 0, None, wild(IMAGE, "*/who", ci=False)),
        ir.Predicate(2, "tail", 0, None, wild(CMD, "* ")),
        ir.Predicate(3, "ends", 0, None, ir.Call("endswith", (IMAGE, ir.Literal("\\B.EXE")), True)),
    ]
    events = [
        make_event({"Image": ["x", None, "C:\\d\\A.EXE"]}),
        make_event({"Image": ["/usr/bin/who", 3]}),
        make_event({"Image": "/usr/bin/WHO"}),
        make_event({"CommandLine": ["a", "b "]}),
        make_event({"Image": "c:/x\\b.exe"}),
        make_event({"Image": "c:\\x/b.exe"}),
    ]
    expected = [(i, p.id) for i, e in enumerate(events) for p in preds
                if interpreter.matches(p.condition, e)]
    assert expected == [(0, 0), (1, 1), (3, 2), (4, 3)]
    assert PythonRuntime().compile(preds, None).evaluate(events) == expected


def test_cost_is_nearly_flat_in_the_number_of_rules() -> None:
    """Sigma-like rules over many basenames and literals: an event that matches none of them
    reaches almost none, however many rules are loaded."""
    def rule(n: int) -> ir.Expr:
        return ir.Or((
            ir.And((wild(IMAGE, f"*\\tool{n}.exe"), ir.Not(wild(CMD, "*safe*")))),
            wild(CMD, f"* -flag{n} *", f"*payload{n}.dll*"),
            wild(OFN, f"tool{n}.exe"),
        ))

    events = [make_event({"Image": f"C:\\Windows\\x{n}.exe", "CommandLine": f"x{n} -y",
                          "OriginalFileName": f"x{n}.exe"}) for n in range(200)]
    events.append(make_event({"Image": "C:\\t\\tool7.exe", "CommandLine": "run"}))
    per_event = []
    for count in (1, 100, 1600):
        preds = [ir.Predicate(n, f"r{n}", 0, None, rule(n)) for n in range(count)]
        compiled = PythonRuntime().compile(preds, None)
        hits = compiled.evaluate(events)
        assert hits == ([(200, 7)] if count > 7 else [])
        per_event.append(compiled.stats()["predicates_per_event"])
    assert max(per_event) < 0.05, per_event


def test_predicates_outside_the_split_see_every_field() -> None:
    """The predicates needing the most needed field are routed only when it is present; the
    others still read the fields only those route on."""
    hashes = ir.Field(("Hashes",))
    preds = [
        ir.Predicate(n, f"g{n}", 0, None,
                     ir.And((ir.Not(ir.IsNull(CMD)), wild(hashes, f"*hash{n}*"))))
        for n in range(3)
    ]
    preds.append(ir.Predicate(3, "u", 0, None, ir.And((
        wild(IMAGE, "*\\a.exe"), ir.Or((wild(hashes, "*abc*"), wild(OFN, "q")))))))
    events = [make_event({"Image": "c:\\a.exe", "Hashes": "abc"}),
              make_event({"Image": "c:\\a.exe", "Hashes": "hash1 abc", "CommandLine": "x"})]
    expected = [(i, p.id) for i, e in enumerate(events) for p in preds
                if interpreter.matches(p.condition, e)]
    assert expected == [(0, 3), (1, 1), (1, 3)]
    assert PythonRuntime().compile(preds, None).evaluate(events) == expected
