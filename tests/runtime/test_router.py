"""The router on its own: candidates per event, never missing a true predicate."""

from __future__ import annotations

from kestrel_core import ir
from kestrel_core.runtime.python.router import Router

from .conftest import make_event

NAME = ir.Field(("process", "name"))


def _preds() -> list[ir.Predicate]:
    return [
        ir.Predicate(0, "a", 0, "process", ir.Compare("==", NAME, ir.Literal("cmd.exe"), True)),
        ir.Predicate(1, "b", 0, "process", ir.Match("wildcard", NAME, ("*pow*",), True)),
        ir.Predicate(2, "c", 0, "file", ir.Compare("==", ir.Field(("file", "name")),
                                                     ir.Literal("x.txt"))),
        ir.Predicate(3, "d", 0, None, ir.IsNull(ir.Field(("user", "name")))),
    ]


def test_candidates_hold_every_true_predicate_and_skip_the_rest() -> None:
    router = Router(_preds())
    events = [
        make_event({"process": {"name": "CMD.EXE"}}, ("process",)),
        make_event({"process": {"name": "powershell.exe"}, "user": {"name": "x"}}, ("process",)),
        make_event({"file": {"name": "x.txt"}}, ("file",)),
        make_event({"process": {"name": "notepad.exe"}, "user": {"name": "x"}}, ("process",)),
    ]
    found = router.candidates(events)
    assert found[0] == (0, 3)  # 3 has no requirement (is null): a candidate everywhere
    assert found[1] == (1, 3)
    assert found[2] == (2, 3)
    assert found[3] == (3,)
    assert router.stats()["candidates"] == 7
