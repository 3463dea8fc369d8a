"""Field lookup by path over nested objects and flat dotted keys alike."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kestrel_core import native

_GETTERS: dict[tuple[str | int, ...], Callable[[Any], Any]] = {}
_MAX_GETTERS = 65536


def lookup(fields: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
    """Return the value at ``path`` or ``None`` when any part is missing.

    Accepts ``{"process": {"name": x}}``, ``{"process.name": x}`` and mixtures such as
    ``{"process": {"parent.name": x}}``: at each level the longest flat dotted key that exists is
    preferred, then nesting. An ``int`` segment indexes a list. A string segment applied to a list
    of objects collects the values of every element (ECS arrays of objects), flattening one level.

    Each path is compiled once into a getter that walks plain dicts with a few dict probes (the
    rules run this for every field of every event); anything else goes the general way.
    """
    return getter(path)(fields)


def getter(path: tuple[str | int, ...]) -> Callable[[Any], Any]:
    """The compiled getter for ``path`` (``fields -> value``, as :func:`lookup`), cached."""
    get = _GETTERS.get(path)
    if get is None:
        if len(_GETTERS) >= _MAX_GETTERS:
            _GETTERS.clear()
        get = _GETTERS[path] = _compile(path)
    return get


def _compile(path: tuple[str | int, ...]) -> Callable[[Any], Any]:
    """A getter with :func:`lookup`'s semantics, fast on nested and flat plain dicts."""
    if not path or not all(isinstance(seg, str) for seg in path):
        return lambda fields: _lookup(fields, path, 0)
    n = len(path)
    # At level i: the flat dotted keys to prefer, longest first ("a.b.c" ends at 3, "a.b" at 2).
    dotted = tuple(
        tuple((".".join(path[i:j]), j) for j in range(n, i + 1, -1))  # type: ignore[arg-type]
        for i in range(n)
    )

    def get(node: Any) -> Any:
        i = 0
        while i < n:
            if type(node) is not dict:
                return _lookup(node, path, i) if node is not None else None
            for key, j in dotted[i]:
                if key in node:
                    node = node[key]
                    i = j
                    break
            else:
                node = node.get(path[i])
                if node is None:
                    return None
                i += 1
        return node

    return get


def _lookup(node: Any, path: tuple[str | int, ...], i: int) -> Any:
    n = len(path)
    if n - i == 1 and type(node) is dict:
        # The common case: one segment left over a plain dict.
        return node.get(path[i])  # type: ignore[call-overload]
    while i < n:
        seg = path[i]
        if isinstance(seg, int):
            if isinstance(node, list) and -len(node) <= seg < len(node):
                node = node[seg]
                i += 1
                continue
            return None
        if isinstance(node, Mapping):
            # Fast path: exact key.
            if seg in node:
                # Prefer a longer flat dotted key when one exists (rare); check only when the
                # path continues with string segments.
                j = _longest_dotted(node, path, i)
                if j > i + 1:
                    node = node[".".join(path[i:j])]  # type: ignore[arg-type]
                    i = j
                else:
                    node = node[seg]
                    i += 1
                continue
            j = _longest_dotted(node, path, i)
            if j > i:
                node = node[".".join(path[i:j])]  # type: ignore[arg-type]
                i = j
                continue
            return None
        if isinstance(node, list):
            out: list[Any] = []
            for item in node:
                v = _lookup(item, path, i)
                if v is None:
                    continue
                if isinstance(v, list):
                    out.extend(v)
                else:
                    out.append(v)
            return out or None
        return None
    return node


def _longest_dotted(node: Mapping[str, Any], path: tuple[str | int, ...], i: int) -> int:
    """The end index j (> i + 1) of the longest ``".".join(path[i:j])`` key in ``node``, or i."""
    best = i
    parts: list[str] = []
    for j in range(i, len(path)):
        seg = path[j]
        if not isinstance(seg, str):
            break
        parts.append(seg)
        if j > i and ".".join(parts) in node:
            best = j + 1
    return best


def dotted_name(path: tuple[str | int, ...]) -> str | None:
    """The dotted name a :class:`FlatView` files ``path`` under, or ``None`` when the path is
    not one it can hold (an empty path, an index segment, a segment that holds a dot)."""
    if not path or not all(type(seg) is str and seg and "." not in seg for seg in path):
        return None
    return ".".join(path)  # type: ignore[arg-type]


class _Ambiguous(Exception):
    """A dict holds both a flat dotted key and a shorter key on the same path."""


# A trie entry: (dotted name if the entry completes a viewed path, child trie or None,
# keys of the same dict that would also lead to the entry's paths, (dotted, path) of the viewed
# paths below the entry, for values that are not plain dicts).
_Entry = tuple[
    str | None, "dict[str, _Entry] | None", tuple[str, ...], tuple[tuple[str, tuple], ...]
]


#: Up to this many paths a :class:`FlatView` reads each with its compiled getter instead of
#: walking the event, when the walk is pure Python (measured: 1 path 1.5 us against 3.6; 4
#: paths 3.7 against 4.9). The native walk is as fast from one path on (1.25 us against 1.33;
#: 3 paths 1.8 against 3.2; 6 paths 2.8 against 5.0), so with it every view walks.
PROBE_LIMIT = 6 if not native.NATIVE else 0


class FlatView:
    """Every value of a fixed set of field paths, read in one walk over an event.

    ``view(fields)`` returns a dict from dotted name (:func:`dotted_name`) to value holding each
    viewed path whose value is not ``None``, exactly as :func:`lookup` would return it. The walk
    visits only the keys of the event that lead to a viewed path, so a rule set that names a
    thousand fields costs what the event holds, not what the rules name. It takes the general
    way (``lookup`` per path) for the rare events where two routes could lead to one path (a
    dict with both ``"process.name"`` and ``"process"``), and per subtree where a value on the
    way is a list (ECS arrays of objects) or another mapping type.
    """

    def __init__(
        self, paths: Iterable[tuple[str | int, ...]], probe_limit: int = PROBE_LIMIT
    ) -> None:
        viewed: dict[tuple, str] = {}
        for path in paths:
            name = dotted_name(tuple(path))
            if name is not None:  # interned: see kestrel_core.runtime.python.compiled.interned
                viewed[tuple(path)] = sys.intern(name)
        self.paths: dict[tuple, str] = viewed
        self._all = tuple((name, path) for path, name in viewed.items())
        self._root = self._build(viewed)
        #: few paths: one compiled getter per path costs less than a walk over the event
        self._probes = (
            tuple((name, getter(path)) for name, path in self._all)
            if len(viewed) <= probe_limit
            else None
        )

    @staticmethod
    def _build(viewed: dict[tuple, str]) -> dict[str, _Entry]:
        # Every prefix of a viewed path is a node; from node P, the key joining segments
        # i..j-1 of a path leads to node path[:j].
        below: dict[tuple, list[tuple[str, tuple]]] = {}
        for path, name in viewed.items():
            for j in range(len(path)):
                below.setdefault(path[:j], []).append((name, path))
        keys: dict[tuple, dict[str, tuple]] = {}
        for path in viewed:
            for i in range(len(path)):
                for j in range(i + 1, len(path) + 1):
                    keys.setdefault(path[:i], {})[".".join(path[i:j])] = path[:j]
        built: dict[tuple, dict[str, _Entry]] = {}

        def node(prefix: tuple) -> dict[str, _Entry]:
            if prefix in built:
                return built[prefix]
            table: dict[str, _Entry] = {}
            built[prefix] = table
            here = keys.get(prefix, {})
            for key, target in here.items():
                conflicts = tuple(
                    other for other in here if other != key and key.startswith(other + ".")
                )
                child = node(target) if target in keys else None
                table[key] = (viewed.get(target), child, conflicts, tuple(below.get(target, ())))
            return table

        return node(())

    def __call__(self, fields: Any) -> dict[str, Any]:
        """The viewed values of ``fields`` (dotted name -> value, ``None`` values left out)."""
        out: dict[str, Any] = {}
        if self._probes is not None:
            for name, get in self._probes:
                value = get(fields)
                if value is not None:
                    out[name] = value
            return out
        if type(fields) is dict:
            try:
                native.walk(fields, self._root, out, fields, lookup, _Ambiguous)
                return out
            except _Ambiguous:
                out = {}
        for name, path in self._all:
            value = lookup(fields, path)
            if value is not None:
                out[name] = value
        return out

