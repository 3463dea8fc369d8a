"""The optional native speedups, or their pure-Python twins.

``kestrel_core._speedups`` (C, built when kestrel-core is installed where a C compiler and the
Python headers are present) implements the per-event loops of the python runtime: the
flat-view walk over an event, the router's pass over the fields the event holds, the calls
of the event's candidate predicates (running those compiled to programs), and the router's
answer for the runtimes that evaluate predicates themselves. Each has a Python twin
here with the same behaviour; the tests run both. ``KESTREL_PURE_PYTHON=1`` in the environment
makes Kestrel use the twins even when the extension is built (to compare, or to rule it out).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

#: The environment variable that turns the native speedups off.
PURE_PYTHON_ENV = "KESTREL_PURE_PYTHON"

Walk = Callable[[dict, dict, dict, Any, Callable[..., Any], type], None]
RouteFields = Callable[[dict, dict, list], None]
CallCandidates = Callable[..., int]


def run_program(node: tuple, want: bool, f: Any, ff: dict, e: Any) -> bool:
    """The pure-Python evaluator of predicate programs (imported late: the runtime package
    imports this module)."""
    from kestrel_core.runtime.python.program import run_py

    return run_py(node, want, f, ff, e)


def route_fields_py(table: dict, ff: dict, candidates: list) -> None:
    """For every field of ``ff`` with an entry ``(router, cache)`` in ``table``: append the
    candidates ``router(value)`` returns (the router caches them itself); an entry
    ``(None, ids)`` (a field routed on its presence) appends ``ids``."""
    get = table.get
    for key, value in ff.items():
        entry = get(key)
        if entry is not None:
            router = entry[0]
            candidates += entry[1] if router is None else router(value)


def candidate_ids_py(
    candidates: list, need: dict, ff: dict, skip: AbstractSet[int] | None = None
) -> tuple[int, ...]:
    """The distinct ``candidates`` not in ``skip`` whose ``need[p]`` (a set of dotted names)
    ``ff`` holds all of, ascending (the router's answer for one event)."""
    keys = ff.keys()
    wanted = set(candidates) if skip is None else set(candidates) - skip
    return tuple(sorted(p for p in wanted if need[p] <= keys))


def call_candidates_py(
    candidates: list, need: dict, functions: dict, f: Any, ff: dict, e: Any, hits: list,
    fault: Callable[[str, BaseException], None], skip: AbstractSet[int] | None = None,
) -> int:
    """Call ``functions[p](f, ff, e, hits)`` once for every distinct candidate ``p`` whose
    ``need[p]`` (a set of dotted names) ``ff`` holds all of; run it (without that check) when
    it is a program ``(name, root)``, appending ``p`` to ``hits`` when true. Candidates in
    ``skip`` are passed over. An ``Exception`` goes to ``fault(function name, exception)``.
    Returns the number of calls and runs."""
    calls = 0
    keys = ff.keys()
    for p in candidates if len(candidates) == 1 else set(candidates):
        if skip is not None and p in skip:
            continue
        fn = functions[p]
        if type(fn) is tuple or need[p] <= keys:  # a program runs without the field check
            calls += 1
            try:
                if type(fn) is tuple:  # a program (name, root): see runtime/python/program.py
                    if run_program(fn[1], True, f, ff, e):
                        hits.append(p)
                else:
                    fn(f, ff, e, hits)
            except Exception as exc:  # a fault of that predicate on that event only
                fault(fn[0] if type(fn) is tuple else fn.__name__, exc)
    return calls


def walk_py(
    node: dict, trie: dict, out: dict, root: Any, lookup: Callable[..., Any], ambiguous: type
) -> None:
    """Fill ``out`` with the viewed values under ``node`` (see
    :class:`kestrel_core.events.fields.FlatView`): ``trie`` maps a key of ``node`` to (dotted
    name or None, child trie or None, conflicting keys, (name, path) of the paths below)."""
    get = trie.get
    for key, value in node.items():
        entry = get(key)
        if entry is None or value is None:
            continue
        name, child, conflicts, below = entry
        if conflicts:
            for other in conflicts:
                if other in node:
                    raise ambiguous
        if name is not None:
            out[name] = value
        if child is not None:
            if type(value) is dict:
                walk_py(value, child, out, root, lookup, ambiguous)
            else:
                # a list of objects (values collected) or something else: the general way
                for below_name, path in below:
                    found = lookup(root, path)
                    if found is not None:
                        out[below_name] = found


def _forced_off() -> bool:
    return os.environ.get(PURE_PYTHON_ENV, "").strip() not in ("", "0")


def _load() -> Any:
    if _forced_off():
        return None
    try:
        from kestrel_core import _speedups  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _speedups


_native = _load()

#: Whether the native speedups are in use.
NATIVE: bool = _native is not None
walk: Walk = _native.walk if _native is not None else walk_py
route_fields: RouteFields = _native.route if _native is not None else route_fields_py
call_candidates: CallCandidates = (
    _native.call_candidates if _native is not None else call_candidates_py
)
candidate_ids: Callable[[list, dict, dict], tuple[int, ...]] = (
    _native.candidate_ids if _native is not None else candidate_ids_py
)


def describe() -> str:
    """One line for ``kestrel plugins list``: which implementation runs the per-event loops."""
    if NATIVE:
        return "native speedups: on (kestrel_core._speedups)"
    if _forced_off():
        return f"native speedups: off ({PURE_PYTHON_ENV} is set)"
    return "native speedups: off (not built: kestrel-core was installed without a C compiler)"
