"""Large rule sets, deep conditions, faults, and the plugin hook."""

from __future__ import annotations

import sys

import pytest

from kestrel_core import ir
from kestrel_core.builtins import python_runtime
from kestrel_core.errors import CompileError
from kestrel_core.runtime import functions, interpreter
from kestrel_core.runtime.api import CompiledPredicates, Runtime
from kestrel_core.runtime.python import PythonRuntime

from .conftest import make_event

NAME, CMD = ir.Field(("process", "name")), ir.Field(("process", "command_line"))


def _rule(n: int) -> ir.Expr:
    kind = n % 4
    if kind == 0:
        return ir.Compare("==", NAME, ir.Literal(f"tool{n}.exe"), True)
    if kind == 1:
        return ir.And((ir.In(NAME, (ir.Literal(f"a{n}.exe"), ir.Literal(f"b{n}.exe"))),
                       ir.Not(ir.Match("wildcard", CMD, ("*safe*",), True))))
    if kind == 2:
        return ir.Match("wildcard", CMD, (f"* -flag{n} *", f"*\\x{n}.dll*"), True)
    return ir.Or((ir.Call("endswith", (NAME, ir.Literal(f"{n}.bin"))),
                  ir.Compare(">", ir.Field(("pid",)), ir.Literal(10_000 + n))))


def test_two_thousand_predicates_compile_and_match() -> None:
    preds = [ir.Predicate(n, f"rule-{n}", 0, "process" if n % 5 else None, _rule(n))
             for n in range(2000)]
    compiled = PythonRuntime().compile(preds, None)
    assert isinstance(compiled, CompiledPredicates)
    events = [
        make_event({"process": {"name": "TOOL8.exe", "command_line": "x -flag6 y safe"}}),
        make_event({"process.name": "b9.exe", "process.command_line": "c:\\x1998.DLL", "pid": 11999}),
        make_event({"process": {"name": ["zz1003.bin", "a13.exe"]}, "pid": 5}, ("file",)),
        make_event({}),
    ]
    expected = [(i, p.id) for i, e in enumerate(events) for p in preds
                if (p.category is None or p.category in e.categories)
                and interpreter.matches(p.condition, e)]
    assert compiled.evaluate(events) == expected
    assert (0, 8) in expected and (1, 1998) in expected and len(expected) > 5
    stats = compiled.stats()
    assert stats["faults"] == 0 and stats["predicates"] == 2000
    assert stats["indexed"] >= 900 and stats["prefiltered"] >= 400


@pytest.mark.parametrize("kind", ["flat", "alternating"])
def test_deeply_nested_thousand_literal_rule_compiles(kind: str) -> None:
    leaves = [ir.Compare("==", ir.Field(("f",)), ir.Literal(f"v{i}")) for i in range(1000)]
    expr: ir.Expr = leaves[0]
    for i, leaf in enumerate(leaves[1:]):
        if kind == "flat" or i % 2:
            expr = ir.Or((leaf, expr))
        else:
            expr = ir.Or((leaf, ir.And((ir.Not(ir.IsNull(ir.Field(("f",)))), expr))))
    pred = ir.Predicate(0, "deep", 0, "process", expr)
    compiled = PythonRuntime().compile([pred], None)
    events = [make_event({"f": "v0"}), make_event({"f": "v999"}), make_event({"f": "nope"}),
              make_event({})]
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)
    try:
        expected = [(i, 0) for i, e in enumerate(events) if interpreter.matches(expr, e)]
    finally:
        sys.setrecursionlimit(old)
    assert expected == [(0, 0), (1, 0)]
    assert compiled.evaluate(events) == expected


def test_fault_is_counted_and_other_predicates_still_match(monkeypatch) -> None:
    def broken(ci: bool, value: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setitem(functions.FUNCTIONS, "length", broken)
    preds = [
        ir.Predicate(0, "ok-before", 0, "process", ir.Compare("==", NAME, ir.Literal("a"))),
        ir.Predicate(1, "raises", 0, "process",
                     ir.Compare(">", ir.Call("length", (NAME,)), ir.Literal(0))),
        ir.Predicate(2, "ok-any", 0, None, ir.Not(ir.IsNull(NAME))),
        ir.Predicate(3, "ok-prefiltered", 0, "process",
                     ir.Match("wildcard", NAME, ("*abc*",), False)),
    ]
    compiled = PythonRuntime().compile(preds, None)
    events = [make_event({"process": {"name": "a"}}), make_event({"process": {"name": "xabcx"}})]
    hits = compiled.evaluate(events)
    assert hits == [(0, 0), (0, 2), (1, 2), (1, 3)]
    stats = compiled.stats()
    assert stats["faults"] == 2 and "boom" in stats["last_fault"]


def test_bad_regex_names_rule_and_pattern() -> None:
    pred = ir.Predicate(0, "my-rule", 1, "process", ir.Match("regex", NAME, ("(a)\\1",)))
    with pytest.raises(CompileError, match=r"rule 'my-rule' step 1: regular expression '\(a\)"):
        PythonRuntime().compile([pred], None)


def test_unknown_function_and_node_fail_loudly() -> None:
    with pytest.raises(CompileError, match="unknown function 'nope'"):
        PythonRuntime().compile([ir.Predicate(0, "r", 0, None, ir.Call("nope", ()))], None)
    with pytest.raises(CompileError, match="no code for IR node Step"):
        bogus = ir.Step(ir.EventQuery(None, ir.TRUE))
        PythonRuntime().compile([ir.Predicate(0, "r", 0, None, bogus)], None)  # type: ignore[arg-type]


def test_source_is_readable() -> None:
    preds = [ir.Predicate(0, "r-1", 2, "process", ir.Compare("==", NAME, ir.Literal("x")))]
    source = PythonRuntime().source(preds, None)
    assert "rule 'r-1' step 2 (predicate 0)" in source and "def _evaluate(events, skip=None):" in source


def test_multiple_categories_and_any() -> None:
    preds = [ir.Predicate(0, "p", 0, "process", ir.TRUE), ir.Predicate(1, "f", 0, "file", ir.TRUE),
             ir.Predicate(2, "a", 0, None, ir.TRUE)]
    compiled = PythonRuntime().compile(preds, None)
    events = [make_event({}, ("file", "process", "file")), make_event({}, ("Process",))]
    assert compiled.evaluate(events) == [(0, 0), (0, 1), (0, 2), (1, 2)]


def test_hook_registers_the_python_runtime() -> None:
    (component,) = python_runtime.kestrel_predicate_runtimes()
    assert component.name == "python"
    runtime = component.factory()
    assert isinstance(runtime, Runtime) and runtime.name == "python"
