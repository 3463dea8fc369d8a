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

from kestrel_core import native
from kestrel_core.events.fields import FlatView, _Ambiguous, lookup

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
       st.sets(st.sampled_from(["a", "b", "c"])))
def test_native_candidate_calls_equal_the_python_ones(candidates: list, present: set) -> None:
    ff = dict.fromkeys(present, 1)
    results = []
    for call in (_speedups.call_candidates, native.call_candidates_py):
        functions, need, faults = _predicates()
        hits: list = []
        calls = call(list(candidates), need, functions, {}, ff, None, hits,
                     lambda name, exc, faults=faults: faults.append((name, str(exc))))
        results.append((calls, sorted(hits), faults))
    assert results[0] == results[1]
    calls, hits, faults = results[0]
    assert len(set(hits)) == len(hits)  # each candidate once
    if 3 in candidates and {"a"} <= present:
        assert faults == [("_pred_3", "fault in 3")]


@needs_extension
def test_native_candidate_calls_let_an_interrupt_through() -> None:
    def interrupted(f: Any, ff: dict, e: Any, h: list) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _speedups.call_candidates([0], {0: frozenset()}, {0: interrupted}, {}, {}, None, [],
                                  lambda name, exc: None)
