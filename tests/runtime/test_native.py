"""The native speedups (``kestrel_core._speedups``) behave exactly as their Python twins in
``kestrel_core.native``, and Kestrel says which of the two it runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kestrel_core import ir, native
from kestrel_core.events.fields import FlatView, _Ambiguous, lookup
from kestrel_core.runtime.patterns import glob_match
from kestrel_core.runtime.python import PythonRuntime
from kestrel_core.runtime.python import program as program_py

from .conftest import make_event, program_of, run_program_py
from .test_flat_view import EVENTS, PATHS

try:
    from kestrel_core import _speedups  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the install
    _speedups = None

needs_extension = pytest.mark.skipif(
    _speedups is None, reason="kestrel_core._speedups is not built (no C compiler at install)"
)


def _walked(walk: Any, fields: dict, view: FlatView) -> dict | type:
    out: dict = {}
    try:
        walk(fields, view._root, out, fields, lookup, _Ambiguous)
    except _Ambiguous:
        return _Ambiguous
    return out


@needs_extension
@settings(max_examples=600, deadline=None)
@given(EVENTS, st.lists(PATHS, min_size=1, max_size=8))
def test_native_walk_equals_the_python_walk(fields: dict, paths: list[tuple]) -> None:
    view = FlatView(paths, probe_limit=0)
    assert _walked(_speedups.walk, fields, view) == _walked(native.walk_py, fields, view)


@needs_extension
def test_native_walk_raises_on_two_routes_and_collects_arrays_of_objects() -> None:
    view = FlatView([("process", "name"), ("dll", "name")], probe_limit=0)
    both = {"process.name": "a", "process": {"name": "b"}}
    assert _walked(_speedups.walk, both, view) is _Ambiguous
    dlls = {"dll": [{"name": "a.dll"}, {"name": "b.dll"}], "process": {"name": "x"}}
    assert _walked(_speedups.walk, dlls, view) == {
        "dll.name": ["a.dll", "b.dll"], "process.name": "x",
    }


def _table(seed: int) -> tuple[dict, list]:
    """A routing table over fields f0..f3 whose routers cache what they return for strings,
    and a log of the values they were called with."""
    calls: list = []

    def router_for(n: int) -> tuple[Any, dict]:
        cache: dict = {}

        def route(value: Any) -> Any:
            calls.append(value)
            found = (n, seed) if isinstance(value, str) else [n, n]
            if isinstance(value, str):
                cache[value] = found
            return found

        return route, cache

    return {f"f{n}": router_for(n) for n in range(4)}, calls


FIELD_VALUES = st.dictionaries(
    st.sampled_from(["f0", "f1", "f2", "f9"]),
    st.one_of(st.sampled_from(["x", "y"]), st.integers(0, 2), st.lists(st.just("z"), max_size=2)),
    max_size=4,
)


@needs_extension
@settings(max_examples=300, deadline=None)
@given(st.lists(FIELD_VALUES, max_size=6), st.integers(0, 3))
def test_native_route_equals_the_python_route(events: list[dict], seed: int) -> None:
    native_table, native_calls = _table(seed)
    python_table, python_calls = _table(seed)
    for ff in events:
        got: list = [-1]
        want: list = [-1]
        _speedups.route(native_table, ff, got)
        native.route_fields_py(python_table, ff, want)
        assert got == want
    # the native pass reads a string's cached candidates without calling its router
    assert len(native_calls) <= len(python_calls)


@needs_extension
def test_native_route_lets_a_router_error_through() -> None:
    def broken(value: Any) -> Any:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        _speedups.route({"f": (broken, {})}, {"f": "x"}, [])


def test_the_environment_variable_turns_the_speedups_off() -> None:
    code = "from kestrel_core import native; print(native.NATIVE, native.describe())"
    env = {**os.environ, native.PURE_PYTHON_ENV: "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("False") and native.PURE_PYTHON_ENV in out


def test_the_extension_is_built_where_a_compiler_is() -> None:
    """An editable install with a C compiler and the Python headers builds the extension; if
    it is missing there, the build broke (setuptools skips an optional extension quietly)."""
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not (shutil.which("cc") or shutil.which("gcc")) or not headers.exists():
        pytest.skip("no C compiler or Python headers here: the pure-Python twins run")
    if os.environ.get(native.PURE_PYTHON_ENV, "").strip() not in ("", "0"):
        pytest.skip(f"{native.PURE_PYTHON_ENV} is set")
    assert _speedups is not None, "kestrel_core._speedups was not built: see the pip log"
    assert native.NATIVE and "on" in native.describe()


def _predicates() -> tuple[dict, dict, list]:
    """Functions 0..5 appending their id (3 raises, 5 needs a field never present), the sets
    of fields they need, and the faults reported."""
    faults: list = []

    def make(n: int) -> Any:
        def pred(f: Any, ff: dict, e: Any, h: list) -> None:
            if n == 3:
                raise ZeroDivisionError(f"fault in {n}")
            h.append(n)

        pred.__name__ = f"_pred_{n}"
        return pred

    functions = {n: make(n) for n in range(6)}
    need = {n: frozenset(["a"] if n % 2 else ["a", "b"]) for n in range(5)}
    need[5] = frozenset(["never"])
    return functions, need, faults


@needs_extension
@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=12),
       st.sets(st.sampled_from(["a", "b", "c"])),
       st.none() | st.frozensets(st.integers(0, 5)))
def test_native_candidate_calls_equal_the_python_ones(
    candidates: list, present: set, skip: frozenset | None
) -> None:
    ff = dict.fromkeys(present, 1)
    results = []
    for call in (_speedups.call_candidates, native.call_candidates_py):
        functions, need, faults = _predicates()
        hits: list = []
        calls = call(list(candidates), need, functions, {}, ff, None, hits,
                     lambda name, exc, faults=faults: faults.append((name, str(exc))), skip)
        results.append((calls, sorted(hits), faults))
    assert results[0] == results[1]
    calls, hits, faults = results[0]
    assert len(set(hits)) == len(hits)  # each candidate once
    assert not set(hits) & (skip or set())  # none of those skipped
    if 3 in candidates and {"a"} <= present and 3 not in (skip or ()):
        assert faults == [("_pred_3", "fault in 3")]


@needs_extension
def test_native_candidate_calls_let_an_interrupt_through() -> None:
    def interrupted(f: Any, ff: dict, e: Any, h: list) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _speedups.call_candidates([0], {0: frozenset()}, {0: interrupted}, {}, {}, None, [],
                                  lambda name, exc: None)


def _program_module(condition: ir.Expr, programs: bool) -> Any:
    return PythonRuntime(programs=programs).compile(
        [ir.Predicate(0, "rule", 0, None, condition)], None
    )


def test_a_faulting_program_is_reported_under_its_predicate_name() -> None:
    # a function that raises, inside the program's Python leaf
    boom = ir.Compare("==", ir.Call("add", (ir.Field(("a",)), ir.Literal(1))), ir.Literal(2))
    condition = ir.And((ir.Compare("==", ir.Field(("b",)), ir.Literal("x")), boom))
    compiled = _program_module(condition, programs=True)
    assert program_of(compiled, 0) is not None
    compiled._evaluate.__globals__["_f_add"] = _raises  # this module's namespace only
    assert compiled.evaluate([make_event({"a": 1, "b": "x"})]) == []
    stats = compiled.stats()
    assert stats["faults"] == 1 and stats["faults_by_function"] == {"_pred_0": 1}
    assert "RuntimeError: leaf failed" in stats["last_fault"]


def _raises(*args: Any) -> Any:
    raise RuntimeError("leaf failed")


def test_the_pure_python_candidate_calls_run_programs() -> None:
    condition = ir.In(ir.Field(("p", "name")), (ir.Literal("CMD.EXE"), ir.Literal(7)), True)
    compiled = _program_module(condition, programs=True)
    program = program_of(compiled, 0)
    assert program is not None and program[0] == "_pred_0"
    for value, hit in (("cmd.exe", True), (["x", "Cmd.Exe"], True), (7, True), ("x", False)):
        hits: list = []
        ff = {"p.name": value}
        calls = native.call_candidates_py(
            [0], {0: frozenset(["p.name"])}, {0: program}, {}, ff, None, hits,
            lambda name, exc: None,
        )
        assert calls == 1 and hits == ([0] if hit else []), value


def test_programs_are_the_default_exactly_when_the_speedups_are_on() -> None:
    assert PythonRuntime().programs is native.NATIVE
    condition = ir.Compare("==", ir.Field(("a",)), ir.Literal(1))
    source = PythonRuntime(programs=True).source([ir.Predicate(0, "r", 0, None, condition)])
    assert "_pred_0 = ('_pred_0', " in source and "1 as programs" in source


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="aB\\.\nÄ", max_size=12),
       st.lists(st.text(alphabet="ab\\.Ä*?", max_size=8), min_size=1, max_size=3),
       st.booleans())
def test_native_globs_match_as_the_python_ones(text: str, patterns: list[str], ci: bool) -> None:
    condition = ir.Match("wildcard", ir.Field(("s",)), tuple(patterns), ci)
    compiled = _program_module(condition, programs=True)
    subject = text.lower() if ci else text
    expected = any(glob_match(subject, p.lower() if ci else p) for p in patterns)
    assert (compiled.evaluate([make_event({"s": text})]) == [(0, 0)]) is expected


@needs_extension
def test_the_glob_budget_is_the_same_in_c_and_python() -> None:
    assert _speedups.GLOB_BUDGET == program_py.GLOB_BUDGET


@pytest.mark.parametrize("programs_native", [True, False])
@pytest.mark.parametrize(("text", "expected"), [
    ("a" * 250_000 + "xb", True),  # over the budget (len * 5 > 2 ** 20): RE2 decides
    ("a" * 250_000 + "b", False),
    ("a" * 700 + "xb", True),      # under it: the native glob
    ("a" * 700 + "b", False),
])
def test_long_texts_match_globs_through_re2(
    text: str, expected: bool, programs_native: bool
) -> None:
    glob = "*?x*b"  # no simpler shape: a glob
    condition = ir.Match("wildcard", ir.Field(("s",)), (glob,), False)
    compiled = _program_module(condition, programs=True)
    event = make_event({"s": text})
    if programs_native:
        assert (compiled.evaluate([event]) == [(0, 0)]) is expected
    else:
        assert run_program_py(compiled, 0, event) is expected
    assert glob_match(text, glob) is expected


@pytest.mark.parametrize("call", [
    pytest.param(getattr(_speedups, "call_candidates", None), id="native",
                 marks=needs_extension),
    pytest.param(native.call_candidates_py, id="python"),
])
def test_only_texts_over_the_glob_budget_go_to_re2(call: Any) -> None:
    seen: list[int] = []

    def regex(text: str) -> bool:
        seen.append(len(text))
        return True

    node = (program_py.MATCH, "s", False, frozenset(), (), (), (), (), (), False, ("*?x*b",),
            regex)
    long_text = "a" * (program_py.GLOB_BUDGET // 5 + 1)
    for text in ("short", long_text):
        hits: list = []
        call([0], {0: frozenset()}, {0: ("_pred_0", node)}, {}, {"s": text}, None, hits,
             lambda name, exc: None)
        assert hits == ([0] if text is long_text else [])
    assert seen == [len(long_text)]


@needs_extension
@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=12), st.sets(st.sampled_from(["a", "b", "c"])),
       st.none() | st.frozensets(st.integers(0, 5)))
def test_native_candidate_ids_equal_the_python_ones(
    candidates: list, present: set, skip: frozenset | None
) -> None:
    _functions, need, _faults = _predicates()
    ff = dict.fromkeys(present, 1)
    got = _speedups.candidate_ids(list(candidates), need, ff, skip)
    assert got == native.candidate_ids_py(list(candidates), need, ff, skip)
    assert not set(got) & (skip or set())
    if skip is None:
        assert got == _speedups.candidate_ids(list(candidates), need, ff)
    assert list(got) == sorted(set(got))
    assert all(need[p] <= ff.keys() for p in got)
