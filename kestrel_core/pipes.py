"""EQL pipes over results: ``head``, ``tail`` (Elasticsearch) and Endgame's ``count``,
``unique``, ``unique_count``, ``filter``, ``sort``.

A result is a :class:`~kestrel_core.detector.Match` (one event for an event query, several for a
sequence or join). Pipe arguments are IR expressions evaluated by the reference interpreter on a
*view* of the result: a bare field reads the first event, ``events[N].field`` reads event N, and
``count``, ``percent`` and ``key`` read what an earlier aggregating pipe added (see
:data:`AGGREGATE_KEYS`).

* ``filter cond``: keeps the results where ``cond`` is true;
* ``unique e1, e2``: keeps the first result per value tuple (null is a value);
* ``unique_count e1, ...``: the first result per value tuple, with ``count`` (results sharing it)
  and ``percent`` (count / all results) added;
* ``count``: one result, ``{"count": n, "key": "totals"}``, with no events; ``count e1, ...``:
  one result per value tuple with ``count``, ``key`` (the value, a list for several) and
  ``percent``, holding the group's first result's events, ordered by (count, key) ascending;
* ``sort e1, ...``: stable sort by the values (nulls first);
* ``head N`` / ``tail N``: the first / last N.

:func:`apply` runs a chain over the whole result list (``kestrel query``). :class:`PipeStream`
runs one incrementally (``kestrel run``): ``filter``, ``unique`` and ``head`` pass results on
as they come (``unique`` remembers its keys in the state store, so they are bounded and
checkpointed); ``count``, ``unique_count``, ``sort`` and ``tail`` need the whole input, so
results reaching them wait for the end of the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from kestrel_core.errors import ConfigError
from kestrel_core.events.model import Event
from kestrel_core.runtime.interpreter import evaluate
from kestrel_core.values import hashable, value_order

if TYPE_CHECKING:
    from kestrel_core.detector import Match
    from kestrel_core.ir import Pipe
    from kestrel_core.state.api import StateStore

#: Keys aggregating pipes add to a result (and to its ``kestrel query`` line).
AGGREGATE_KEYS = ("count", "key", "percent")
#: Pipes that need the whole input before they can give anything.
WHOLE_INPUT_PIPES = frozenset({"count", "unique_count", "sort", "tail"})
#: Every pipe this module runs.
PIPES = frozenset({"head", "tail", "count", "unique", "unique_count", "filter", "sort"})


def view(match: Match) -> Event:
    """The event pipe arguments are evaluated on (see the module docstring)."""
    present = [e for e in match.events if e is not None]
    first = present[0] if present else None
    fields: dict[str, Any] = dict(first.fields) if first is not None else {}
    fields["events"] = [None if e is None else e.fields for e in match.events]
    if match.aggregates:
        fields.update(match.aggregates)
    return Event(
        first.categories if first else (),
        first.timestamp if first else None,
        None,
        fields,
        None,
    )


def _values(match: Match, exprs: Sequence[Any]) -> tuple[Any, ...]:
    event = view(match)
    return tuple(hashable(evaluate(e, event)) for e in exprs)


def _with(match: Match, **aggregates: Any) -> Match:
    return attrs.evolve(match, aggregates={**(match.aggregates or {}), **aggregates})


def _count_number(pipe: Pipe) -> int:
    return int(pipe.args[0]) if pipe.args else 0  # type: ignore[arg-type]


def apply_one(pipe: Pipe, results: list[Match]) -> list[Match]:
    """One pipe over a whole list of results."""
    name = pipe.name
    if name == "head":
        return results[: _count_number(pipe)]
    if name == "tail":
        n = _count_number(pipe)
        return results[-n:] if n else []
    if name == "filter":
        return [r for r in results if evaluate(pipe.args[0], view(r)) is True]  # type: ignore[arg-type]
    if name == "sort":
        return sorted(results, key=lambda r: tuple(map(value_order, _values(r, pipe.args))))
    groups: dict[tuple[Any, ...], list[Match]] = {}
    for r in results:
        groups.setdefault(_values(r, pipe.args), []).append(r)
    total = len(results)
    if name == "unique":
        return [members[0] for members in groups.values()]
    if name == "unique_count":
        return [
            _with(members[0], count=len(members), percent=len(members) / total)
            for members in groups.values()
        ]
    if name == "count":
        if not pipe.args:
            from kestrel_core.detector import Match

            rule_id = results[0].rule_id if results else ""
            return [Match(rule_id, (), (), aggregates={"count": total, "key": "totals"})]
        out = []
        for key, members in groups.items():
            shown = key[0] if len(key) == 1 else list(key)
            out.append(
                _with(
                    attrs.evolve(members[0], join_keys=()),
                    count=len(members),
                    key=shown,
                    percent=len(members) / total,
                )
            )
        out.sort(key=lambda r: (r.aggregates["count"], value_order(r.aggregates["key"])))
        return out
    raise ConfigError(f"the pipe '| {name}' is not supported")


def apply(pipes: Iterable[Pipe], results: list[Match]) -> list[Match]:
    """A chain of pipes over a whole list of results, in order."""
    for pipe in pipes:
        results = apply_one(pipe, results)
    return results


class PipeStream:
    """The pipes of one rule, run as its matches come (``kestrel run``).

    ``input_ends`` says whether the input has an end (a file, not ``--follow``): pipes that need
    the whole input are refused otherwise, with a :class:`ConfigError` naming the rule.
    """

    def __init__(
        self, rule_id: str, pipes: Sequence[Pipe], store: StateStore | None, input_ends: bool
    ) -> None:
        self.rule_id = rule_id
        self.pipes = tuple(pipes)
        self.store = store
        whole = next((i for i, p in enumerate(self.pipes) if p.name in WHOLE_INPUT_PIPES), None)
        if whole is not None and not input_ends:
            raise ConfigError(
                f"rule {rule_id!r}: the pipe '| {self.pipes[whole].name}' needs the whole "
                "input, and this input never ends (--follow); use kestrel query, or keep to "
                "'filter', 'unique' and 'head' in streaming rules"
            )
        self.streaming = self.pipes if whole is None else self.pipes[:whole]
        self.at_end = () if whole is None else self.pipes[whole:]
        self.buffer: list[Match] = []
        self._unique_rule = f"kestrel:unique:{rule_id}"
        self._seen: dict[int, set[tuple[Any, ...]]] = {}
        self._heads: dict[int, int] = {}

    def _seen_before(self, index: int, key: tuple[Any, ...]) -> bool:
        store = self.store
        if store is None:
            seen = self._seen.setdefault(index, set())
            if key in seen:
                return True
            seen.add(key)
            return False
        store_key = (index, *key)
        if store.get(self._unique_rule, store_key) is not None:
            return True
        store.put(self._unique_rule, store_key, True)
        return False

    def push(self, match: Match) -> list[Match]:
        """Feed one match; return what comes out now."""
        for index, pipe in enumerate(self.streaming):
            if pipe.name == "filter":
                if evaluate(pipe.args[0], view(match)) is not True:  # type: ignore[arg-type]
                    return []
            elif pipe.name == "unique":
                if self._seen_before(index, _values(match, pipe.args)):
                    return []
            elif pipe.name == "head":
                taken = self._heads.get(index, 0)
                if taken >= _count_number(pipe):
                    return []
                self._heads[index] = taken + 1
        if self.at_end:
            self.buffer.append(match)
            return []
        return [match]

    def finish(self) -> list[Match]:
        """End of input: the results of the whole-input pipes."""
        if not self.at_end:
            return []
        out = apply(self.at_end, self.buffer)
        self.buffer = []
        return out
