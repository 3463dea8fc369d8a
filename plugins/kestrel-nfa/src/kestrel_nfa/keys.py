"""Join keys: the key values of one event for one step, as Elasticsearch EQL computes them.

* Keys are compared positionally across steps (query-level ``by`` keys first, then the step's).
* **Null keys.** A key expression that evaluates to null (missing field, JSON ``null``, an empty
  list or a list of nulls only) excludes the event from that step, unless the key is optional
  (``?field``): then null is an ordinary key value and joins with other nulls. This is what the
  Elasticsearch suite ``test_extra`` pins (``sequenceOneKeyOptional_1`` keeps only events that
  have ``process.entity_id``; ``sequenceAllKeysOptional`` joins events missing both keys).
* **Multi-valued keys.** A list value yields one key per distinct non-null element (as the
  Elasticsearch doc values it joins on: sorted, de-duplicated); several multi-valued key
  expressions yield their cartesian product. ``[tag1, null, tag2]`` gives ``tag1`` and ``tag2``;
  ``[null]`` is null (and so joins as null only when optional).
* ``Field`` and ``EventTime`` are evaluated here; any other expression goes through the reference
  interpreter (``kestrel_core.runtime.interpreter.evaluate``), imported on first use.

Key functions run for every step hit, so they are built once per step: fields are read with the
compiled getter of their path (:func:`kestrel_core.events.fields.getter`), and the common case,
every key a single non-null scalar, makes its one key tuple without per-column lists. An engine
shares them between steps with equal key expressions and computes each once per event
(:class:`KeyCache`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kestrel_core.events.fields import getter
from kestrel_core.ir import EventTime, Field
from kestrel_core.values import hashable, value_order

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.ir import Expr

JoinKey = tuple[Any, ...]
#: Computes the join keys of an event for one step; ``[]`` excludes the event. Callers must not
#: modify the returned list.
KeyFunction = Callable[["Event"], list[JoinKey]]
#: Reads one key value, from an event's ``fields`` (key lists of fields only) or from the event.
Reader = Callable[[Any], Any]

_NO_KEYS: list[JoinKey] = [()]
#: Values that are their own join key (``hashable`` returns them unchanged).
_SCALARS = frozenset((str, int, float, bool))


def key_function(exprs: Sequence[Expr]) -> KeyFunction:
    """Build the key function of a step from its key expressions."""
    if not exprs:
        return _no_keys
    optional = tuple(isinstance(expr, Field) and expr.optional for expr in exprs)
    on_fields = all(isinstance(expr, Field) for expr in exprs)
    readers = tuple((_field_reader if on_fields else _reader)(expr) for expr in exprs)
    if len(readers) == 1:
        return _single(readers[0], optional[0], on_fields)
    return _multiple(readers, optional, on_fields)


class KeyCache:
    """The key functions of one engine: steps with equal key expressions share one, and each
    computes its keys at most once per event.

    :meth:`begin` starts a new event; until the next ``begin`` the functions assume that event
    (the engine calls it once per event, before any matcher reads keys).
    """

    def __init__(self) -> None:
        self._functions: dict[tuple[Expr, ...], KeyFunction] = {}
        self._memo: dict[KeyFunction, list[JoinKey]] = {}

    def begin(self) -> None:
        """A new event: forget the keys computed for the previous one."""
        self._memo.clear()

    def function(self, exprs: Sequence[Expr]) -> KeyFunction:
        """The shared, memoized key function of ``exprs``."""
        exprs = tuple(exprs)
        try:
            found = self._functions.get(exprs)
        except TypeError:  # an expression that cannot be hashed is not shared
            return self._memoized(key_function(exprs))
        if found is None:
            found = self._functions[exprs] = self._memoized(key_function(exprs))
        return found

    def _memoized(self, compute: KeyFunction) -> KeyFunction:
        memo = self._memo

        def memoized(event: Event) -> list[JoinKey]:
            keys = memo.get(compute)
            if keys is None:
                keys = memo[compute] = compute(event)
            return keys

        return memoized


def _no_keys(event: Event) -> list[JoinKey]:
    return _NO_KEYS


def _single(read: Reader, optional: bool, on_fields: bool) -> KeyFunction:
    """The key function of one key expression."""

    def single(event: Event) -> list[JoinKey]:
        value = read(event.fields if on_fields else event)
        if type(value) in _SCALARS:
            return [(value,)]
        values = _column(value, optional)
        return [(v,) for v in values] if values else []

    return single


def _multiple(
    readers: tuple[Reader, ...], optional: tuple[bool, ...], on_fields: bool
) -> KeyFunction:
    """The key function of several key expressions (the cartesian product of their values)."""

    def multiple(event: Event) -> list[JoinKey]:
        source = event.fields if on_fields else event
        key: list[Any] = []
        for read in readers:
            value = read(source)
            if type(value) not in _SCALARS:
                return _product(source, readers, optional, key, value)
            key.append(value)
        return [tuple(key)]

    return multiple


def _product(
    source: Any,
    readers: tuple[Reader, ...],
    optional: tuple[bool, ...],
    scalars: list[Any],
    value: Any,
) -> list[JoinKey]:
    """The general case of :func:`_multiple`: ``scalars`` are the leading single values already
    read, ``value`` the next column's value (null, a list or an object); the rest is read here."""
    columns = [[v] for v in scalars]
    index = len(scalars)
    while True:
        values = _column(value, optional[index])
        if not values:
            return []
        columns.append(values)
        index += 1
        if index == len(readers):
            break
        value = readers[index](source)
    if all(len(c) == 1 for c in columns):
        return [tuple(c[0] for c in columns)]
    return list(itertools.product(*columns))


def _column(value: Any, optional: bool) -> list[Any]:
    """The key values one expression contributes: its distinct non-null values, ``[None]`` when
    there are none and the key is optional, else ``[]`` (the event is excluded)."""
    if isinstance(value, list):
        values = _distinct(value)
    elif value is None:
        values = []
    else:
        values = [hashable(value)]
    if not values and optional:
        return [None]
    return values


def _field_reader(expr: Expr) -> Reader:
    """A reader of one field's value from the event's ``fields`` (key lists of fields only)."""
    assert isinstance(expr, Field)
    return getter(expr.path)


def _reader(expr: Expr) -> Reader:
    """A reader of one key value from the event (for key lists that are not all fields)."""
    if isinstance(expr, Field):
        get = getter(expr.path)
        return lambda event: get(event.fields)
    if isinstance(expr, EventTime):
        return lambda event: event.timestamp

    def evaluate(event: Event) -> Any:
        from kestrel_core.runtime.interpreter import evaluate as interpret

        return interpret(expr, event)

    return evaluate


def _distinct(values: list[Any]) -> list[Any]:
    """Distinct non-null elements, sorted when they are mutually comparable."""
    seen: dict[Any, None] = {}
    for v in values:
        if v is not None:
            seen[hashable(v)] = None
    out = list(seen)
    if len(out) > 1:
        out.sort(key=value_order)
    return out


def key_order(key: JoinKey) -> tuple[tuple[int, Any], ...]:
    """Sort key for whole join keys (samples come out in this order)."""
    return tuple(value_order(v) for v in key)
