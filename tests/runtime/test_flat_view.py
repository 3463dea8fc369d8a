"""The flat view reads exactly what ``lookup`` reads, in one walk."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kestrel_core.events.fields import FlatView, dotted_name, lookup

SEGMENTS = ["a", "b", "c", "name"]
PATHS = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map(tuple)
#: keys are single segments or dotted joins of two or three, so flat and nested forms mix
KEYS = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3).map(".".join)
SCALARS = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["x", "Y", ""]), st.booleans())


def _values(children: Any) -> Any:
    return st.one_of(
        st.dictionaries(KEYS, children, max_size=4),
        st.lists(children, max_size=3),
    )


EVENTS = st.dictionaries(KEYS, st.recursive(SCALARS, _values, max_leaves=12), max_size=5)


def _expected(fields: Any, paths: list[tuple]) -> dict[str, Any]:
    out = {}
    for path in paths:
        value = lookup(fields, path)
        if value is not None:
            out[dotted_name(path)] = value
    return out


@settings(max_examples=600, deadline=None)
@given(EVENTS, st.lists(PATHS, min_size=1, max_size=8))
def test_flat_view_equals_lookup(fields: dict, paths: list[tuple]) -> None:
    expected = _expected(fields, paths)
    assert FlatView(paths, probe_limit=0)(fields) == expected  # the walk
    assert FlatView(paths, probe_limit=100)(fields) == expected  # a getter per path


def test_nested_flat_and_mixed_events() -> None:
    paths = [("process", "name"), ("process", "parent", "name"), ("host", "os", "type")]
    view = FlatView(paths, probe_limit=0)
    nested = {"process": {"name": "a.exe", "parent": {"name": "b.exe"}}, "host": {"os": {}}}
    flat = {"process.name": "a.exe", "process.parent.name": "b.exe", "host.os.type": "linux"}
    mixed = {"process": {"name": "a.exe", "parent.name": "b.exe"}, "host.os": {"type": "x"}}
    assert view(nested) == {"process.name": "a.exe", "process.parent.name": "b.exe"}
    assert view(flat) == {"process.name": "a.exe", "process.parent.name": "b.exe",
                          "host.os.type": "linux"}
    assert view(mixed) == {"process.name": "a.exe", "process.parent.name": "b.exe",
                           "host.os.type": "x"}


def test_both_routes_present_prefer_the_longest_dotted_key() -> None:
    view = FlatView([("process", "name")], probe_limit=0)
    fields = {"process.name": "flat.exe", "process": {"name": "nested.exe"}}
    assert view(fields) == {"process.name": "flat.exe"} == _expected(fields, [("process", "name")])


def test_arrays_of_objects_collect_values() -> None:
    view = FlatView([("dll", "name"), ("dll", "path")], probe_limit=0)
    fields = {"dll": [{"name": "a.dll"}, {"name": "b.dll", "path": "c:\\b.dll"}]}
    assert view(fields) == {"dll.name": ["a.dll", "b.dll"], "dll.path": ["c:\\b.dll"]}


def test_paths_it_cannot_hold_are_left_out() -> None:
    assert dotted_name(("process", "args", 0)) is None  # type: ignore[arg-type]
    assert dotted_name(("a.b", "c")) is None
    view = FlatView([("process", "args", 0), ("process", "name")])  # type: ignore[list-item]
    assert view({"process": {"args": ["x"], "name": "n"}}) == {"process.name": "n"}
