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
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kestrel_core.events.fields import lookup
from kestrel_core.ir import EventTime, Field
from kestrel_core.values import hashable, value_order

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.ir import Expr

JoinKey = tuple[Any, ...]
#: Computes the join keys of an event for one step; ``[]`` excludes the event.
KeyFunction = Callable[["Event"], list[JoinKey]]

_NO_KEYS: list[JoinKey] = [()]


def key_function(exprs: Sequence[Expr]) -> KeyFunction:
    """Build the key function of a step from its key expressions."""
    if not exprs:
        return lambda event: _NO_KEYS
    readers = [(_reader(expr), isinstance(expr, Field) and expr.optional) for expr in exprs]
    if len(readers) == 1:
        read, optional = readers[0]

        def single(event: Event) -> list[JoinKey]:
            value = read(event)
            if value is None:
                return [(None,)] if optional else []
            if isinstance(value, list):
                values = _distinct(value)
                if not values:
                    return [(None,)] if optional else []
                return [(v,) for v in values]
            return [(hashable(value),)]

        return single

    def multiple(event: Event) -> list[JoinKey]:
        columns: list[list[Any]] = []
        for read, optional in readers:
            value = read(event)
            if isinstance(value, list):
                values = _distinct(value)
            else:
                values = [] if value is None else [hashable(value)]
            if not values:
                if not optional:
                    return []
                values = [None]
            columns.append(values)
        if all(len(c) == 1 for c in columns):
            return [tuple(c[0] for c in columns)]
        return list(itertools.product(*columns))

    return multiple


def _reader(expr: Expr) -> Callable[[Event], Any]:
    if isinstance(expr, Field):
        path = expr.path
        if len(path) == 1 and isinstance(path[0], str):
            name = path[0]  # a top-level key: lookup() reduces to a mapping get
            return lambda event: event.fields.get(name)
        return lambda event: lookup(event.fields, path)
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
