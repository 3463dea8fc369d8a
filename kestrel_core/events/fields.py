"""Field lookup by path over nested objects and flat dotted keys alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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
