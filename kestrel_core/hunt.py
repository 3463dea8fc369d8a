"""Hunting: one query over stored events, with Elasticsearch's ordering (``kestrel query``).

Results come in ascending (timestamp, tiebreaker) order of their last event (a join's latest
event), samples by join key; then the pipes run over that list (:func:`kestrel_core.pipes.apply`),
then ``--size``. Aggregating pipes add ``count`` (and ``key``, ``percent``) to the result line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from kestrel_core.detector import Detector, Match
from kestrel_core.errors import ConfigError
from kestrel_core.events.model import Event
from kestrel_core.inputs import InputStats, read_events
from kestrel_core.ir import Query
from kestrel_core.pipes import AGGREGATE_KEYS, apply_one
from kestrel_core.registry import ComponentRegistry
from kestrel_core.rules import Rule
from kestrel_core.values import value_order

BATCH = 1024


@attrs.define
class HuntOptions:
    """Options of ``kestrel query``."""

    schema: str = "ecs"
    schema_overrides: dict[str, Any] = attrs.Factory(dict)
    dialect: str = "elasticsearch"
    runtime: str = "python"
    size: int | None = None
    max_samples_per_key: int = 1


def compile_eql(text: str, dialect: str = "elasticsearch") -> Query:
    """Compile EQL text with kestrel-eql (a :class:`ConfigError` if it is not installed)."""
    try:
        import kestrel_eql
    except ImportError as exc:  # pragma: no cover - kestrel-eql is part of the standard set
        raise ConfigError("kestrel query needs the EQL compiler; install kestrel-eql") from exc
    if dialect != "elasticsearch":
        return kestrel_eql.compile_query(text, dialect=dialect)
    return kestrel_eql.compile_query(text)


def _last_event_key(match: Match) -> tuple:
    present = [e for e in match.events if e is not None]
    return present[-1].sort_key() if present else (0, 0, (0, 0), 0)


def _latest_event_key(match: Match) -> tuple:
    present = [e.sort_key() for e in match.events if e is not None]
    return max(present) if present else (0, 0, (0, 0), 0)


def order_results(query: Query, matches: list[Match], size: int | None) -> list[Match]:
    """Elasticsearch's result order, then the pipes, then ``--size`` (the last N after a
    ``tail``)."""
    if query.kind == "sample":
        ordered = sorted(matches, key=lambda m: tuple(value_order(k) for k in m.join_keys))
    elif query.kind == "join":
        ordered = sorted(matches, key=_latest_event_key)
    else:
        ordered = sorted(matches, key=_last_event_key)
    from_tail = False
    for pipe in query.pipes:
        ordered = apply_one(pipe, ordered)
        if pipe.name in ("head", "tail"):
            from_tail = pipe.name == "tail"
    if size is not None:
        ordered = (ordered[-size:] if size else []) if from_tail else ordered[:size]
    return ordered


def run_query(
    registry: ComponentRegistry,
    query: Query,
    events: list[Event],
    schema: Any,
    options: HuntOptions,
) -> list[Match]:
    """Match ``query`` over ``events`` and return the ordered matches.

    Events are sorted by (timestamp, tiebreaker), stably, as Elasticsearch sorts a search,
    except for ``sample`` queries, which, like Elasticsearch, take their candidates in the order
    the data was stored (samples need no timestamps).
    """
    if query.kind != "sample":
        events = sorted(events, key=Event.sort_key)
    runtime = registry.get("predicate_runtime", options.runtime).factory()
    rule = Rule(id="query", name="query", query=query)
    engine_factory = None
    if query.kind != "event":
        engine_factory = registry.get("sequence_engine", "nfa").factory
    # The store holds partial matches and the process tree of lineage queries.
    store = registry.get("state_store", "memory").factory()
    detector = Detector(
        [rule],
        runtime,
        schema,
        sequence_engine=engine_factory,
        store=store,
        sequence_options={"max_samples_per_key": options.max_samples_per_key},
        apply_pipes=False,
    )
    matches: list[Match] = []
    for start in range(0, len(events), BATCH):
        matches.extend(detector.process(events[start : start + BATCH]))
    matches.extend(detector.finish())
    return order_results(query, matches, options.size)


def result_json(match: Match) -> dict[str, Any]:
    """The ``kestrel query`` line for a match: original records and join keys, plus what an
    aggregating pipe added (``count``, ``key``, ``percent``)."""
    line: dict[str, Any] = {
        "events": [None if e is None else e.record for e in match.events],
        "join_keys": list(match.join_keys),
    }
    if match.aggregates:
        line.update((k, match.aggregates[k]) for k in AGGREGATE_KEYS if k in match.aggregates)
    return line


def hunt(
    registry: ComponentRegistry,
    query_text: str,
    files: Iterable[str],
    options: HuntOptions,
    report: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Compile, read, match and order: the whole of ``kestrel query`` as a function."""
    query = compile_eql(query_text, options.dialect)
    schema = registry.get("schema_profile", options.schema).factory(**options.schema_overrides)
    stats = InputStats()
    events = list(
        read_events(files, schema, stats, report=report or (lambda m: print(m, file=sys.stderr)))
    )
    return [result_json(m) for m in run_query(registry, query, events, schema, options)]
