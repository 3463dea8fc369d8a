"""Helpers the generated code calls off its fast path.

The generated code handles the common case inline (a scalar field against a literal); these
functions handle what is rare: multi-valued fields (lists), comparisons between two computed
values, and the dispatch of a list of keys. They are written independently of the reference
interpreter, which the tests compare them against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kestrel_core.runtime import functions

NUMBER = (int, float)


class Missing:
    """The marker for "no such key" in generated field loads."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


def lower(value: Any) -> Any:
    """Lowercase a string, or every string of a list; other values unchanged."""
    if type(value) is str:
        return value.lower()
    if type(value) is list:
        return [v.lower() if type(v) is str else v for v in value]
    return value


def is_null(value: Any) -> bool:
    """``IsNull``: null, or a list without a non-null value."""
    if value is None:
        return True
    if type(value) is list:
        return all(v is None for v in value)
    return False


def _same_kind(a: Any, b: Any) -> bool:
    ta, tb = type(a), type(b)
    if ta is bool or tb is bool:
        return ta is tb
    if ta in NUMBER:
        return tb in NUMBER
    return ta is str and tb is str


def compare_scalar(op: str, a: Any, b: Any) -> Any:
    """Compare two non-null scalars (already lowercased when case-insensitive)."""
    same = _same_kind(a, b)
    if op == "==":
        return same and a == b
    if op == "!=":
        return not same or a != b
    if not same or type(a) is bool:
        return None
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def compare_list(values: list[Any], op: str, literal: Any) -> Any:
    """Any element of ``values`` against a non-null literal, three-valued OR."""
    result = None
    for v in values:
        if v is None:
            continue
        r = compare_scalar(op, v, literal)
        if r is True:
            return True
        if r is False:
            result = False
    return result


def _items(value: Any) -> Iterable[Any]:
    if type(value) is list:
        return [v for v in value if v is not None]
    return () if value is None else (value,)


def compare(op: str, left: Any, right: Any, case_insensitive: bool) -> Any:
    """``Compare`` of two computed values (scalars or lists)."""
    if case_insensitive:
        left, right = lower(left), lower(right)
    result = None
    for a in _items(left):
        for b in _items(right):
            r = compare_scalar(op, a, b)
            if r is True:
                return True
            if r is False:
                result = False
    return result


def _equal_any(value: Any, candidates: tuple[Any, ...]) -> bool:
    return any(_same_kind(value, c) and value == c for c in candidates)


def in_list(values: list[Any], candidates: tuple[Any, ...]) -> Any:
    """``In`` for a multi-valued operand against non-null literal candidates."""
    result = None
    for v in values:
        if v is None:
            continue
        if _equal_any(v, candidates):
            return True
        result = False
    return result


def in_list_sets(
    values: list[Any], strings: frozenset[str], numbers: frozenset[Any], bools: tuple[bool, ...]
) -> Any:
    """``In`` for a multi-valued operand against literals split by kind (hash look-ups; the same
    answers as :func:`in_list`)."""
    result = None
    for v in values:
        if v is None:
            continue
        t = type(v)
        if t is str:
            if v in strings:
                return True
        elif t is bool:
            if any(v is b for b in bools):
                return True
        elif (t is int or t is float) and v in numbers:
            return True
        result = False
    return result


def in_values(operand: Any, candidates: tuple[Any, ...], case_insensitive: bool) -> Any:
    """``In`` of a computed operand against computed candidates (scalars or lists)."""
    flat: list[Any] = []
    for c in candidates:
        flat.extend(_items(lower(c) if case_insensitive else c))
    if case_insensitive:
        operand = lower(operand)
    if type(operand) is list:
        return in_list(operand, tuple(flat))
    if operand is None:
        return None
    return _equal_any(operand, tuple(flat))


def match_list(values: list[Any], check: Callable[[str], bool]) -> Any:
    """``Match`` for a multi-valued operand: non-strings are false, nulls skipped."""
    result = None
    for v in values:
        if v is None:
            continue
        if type(v) is str and check(v):
            return True
        result = False
    return result


def match_value(value: Any, check: Callable[[str], bool], case_insensitive: bool) -> Any:
    """``Match`` of a computed operand."""
    if case_insensitive:
        value = lower(value)
    if type(value) is list:
        return match_list(value, check)
    if value is None:
        return None
    return type(value) is str and check(value)


def truth(value: Any) -> Any:
    """A value as a condition: ``True``, ``False`` or null."""
    return value if type(value) is bool else None


def dispatch(strings: dict[Any, tuple[Any, ...]], numbers: dict[Any, tuple[Any, ...]],
             key: Any) -> tuple[Any, ...]:
    """The buckets for a key that is not a plain string: a number, or a list of keys."""
    if type(key) is str:
        return strings.get(key, ())
    if type(key) in NUMBER:
        return numbers.get(key, ())
    if type(key) is not list:
        return ()
    out: dict[Any, None] = {}
    for k in key:
        if type(k) is str:
            out.update(dict.fromkeys(strings.get(k, ())))
        elif type(k) in NUMBER:
            out.update(dict.fromkeys(numbers.get(k, ())))
    return tuple(out)


def basenames(table: dict[str, tuple[Any, ...]], value: Any, separator: str) -> list[Any]:
    """The predicate functions filed under the basename (the text after the last
    ``separator``) of any string of a list."""
    out: list[Any] = []
    if type(value) is list:
        for v in value:
            if type(v) is str:
                out.extend(table.get(v.rpartition(separator)[2], ()))
    return out


def tails(table: dict[str, tuple[Any, ...]], value: Any) -> list[Any]:
    """The predicate functions filed under the last character of any string of a list."""
    out: list[Any] = []
    if type(value) is list:
        for v in value:
            if type(v) is str:
                out.extend(table.get(v[-1:], ()))
    return out


def candidates(search: Callable[[str], Iterable[tuple[int, tuple[Any, ...]]]], value: Any) -> set:
    """The predicate functions an Aho-Corasick automaton finds in a string or list of strings."""
    found: set = set()
    if type(value) is str:
        for _end, funcs in search(value):
            found.update(funcs)
    elif type(value) is list:
        for v in value:
            if type(v) is str:
                for _end, funcs in search(v):
                    found.update(funcs)
    return found


#: The names the generated module sees (besides its own constants).
NAMESPACE: dict[str, Any] = {
    "_M": MISSING,
    "_lower": lower,
    "_isnull": is_null,
    "_cmp": compare,
    "_cmp_list": compare_list,
    "_in": in_values,
    "_in_list": in_list,
    "_in_list_sets": in_list_sets,
    "_match_list": match_list,
    "_match": match_value,
    "_truth": truth,
    "_dispatch": dispatch,
    "_candidates": candidates,
    "_basenames": basenames,
    "_tails": tails,
    "_arith": functions.arith,
    "_neg": functions.neg,
}
NAMESPACE.update({f"_f_{name}": fn for name, fn in functions.FUNCTIONS.items()})
