"""The peer: the ``eql`` package's ``PythonEngine``, over the same rules and events.

This is the only module that imports ``eql``; it is never a dependency of a Kestrel distribution
(``tox -e bench`` installs it). Queries are parsed in the Elasticsearch dialect
(``eql.parser.elasticsearch_syntax``, with ``sample``, ``runs`` and missing events allowed).
Function names are matched case-insensitively in the rules (``cidrmatch``) but eql registers them
camel-cased (``cidrMatch``), so names are canonicalized before parsing; a rule eql still cannot
parse or compile is counted and skipped.

Events become ``eql.Event(category, time_ns, record)`` (the first ``event.category``); the
engine's ``time_unit`` is set to nanoseconds so ``maxspan`` is right. eql compares an array
field as a whole, where Elasticsearch matches any of its values, so the one-value arrays of
``event.category`` and ``event.type`` are given to it as plain strings (``["start"]`` ->
``"start"``, a copy: the record itself is not changed). An exception inside eql's engine (it
raises on some array values, e.g. ``process.args in (...)``) is counted in ``errors`` (one per
failing query and event) and the event's other queries still run.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from itertools import islice
from typing import Any

import attrs
import orjson

from benchmarks.rulesets import RuleText

MISSING = "peer not installed (tox -e bench installs it)"
NS_PER_S = 1_000_000_000


def available() -> str | None:
    """``None`` when ``eql`` can be imported, else why not."""
    try:
        import eql  # noqa: F401
    except ImportError:
        return MISSING
    return None


@attrs.define
class PeerRules:
    """Parsed queries by rule id, and why the others were not accepted."""

    queries: list[tuple[str, Any]]
    failures: Counter[str]
    seconds: float


def _canonical_functions() -> re.Pattern[str]:
    from eql import functions

    names = functions.list_functions()
    return re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")(~?\s*\()", re.IGNORECASE)


def parse_rules(texts: Sequence[RuleText]) -> PeerRules:
    """Parse every rule in eql's Elasticsearch syntax, then check its engine can compile it."""
    import eql
    from eql import functions, parser

    by_lower = {name.lower(): name for name in functions.list_functions()}
    pattern = _canonical_functions()
    started = time.perf_counter()
    queries: list[tuple[str, Any]] = []
    failures: Counter[str] = Counter()
    with (
        parser.elasticsearch_syntax,
        parser.allow_sample,
        parser.allow_runs,
        parser.allow_negation,
    ):
        for text in texts:
            source = pattern.sub(lambda m: by_lower[m.group(1).lower()] + m.group(2), text.query)
            try:
                query = eql.parse_query(source)
                eql.PythonEngine({"time_unit": NS_PER_S}).add_query(query)
            except Exception as exc:  # eql raises many kinds; each is a rule it cannot run
                failures[_reason(exc)] += 1
                continue
            queries.append((text.id, query))
    return PeerRules(queries, failures, time.perf_counter() - started)


def _reason(exc: BaseException) -> str:
    """eql's messages start with ``Error at line:L,column:C``; the next line says what."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].startswith("Error at"):
        lines = lines[1:]
    return f"{type(exc).__name__}: {(lines[0] if lines else '')[:80]}"


def _time_ns(value: Any) -> int:
    if isinstance(value, str):
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * NS_PER_S)
    return int(value or 0)


def to_event(record: dict[str, Any]) -> Any:
    """An ``eql.Event`` for an ECS record: first category, time in nanoseconds, the record."""
    from eql import Event

    event = record.get("event")
    category = None
    if isinstance(event, dict):
        event = {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in event.items()}
        record = {**record, "event": event}
        category = event.get("category")
        if isinstance(category, list):
            category = category[0] if category else None
    return Event(category or "generic", _time_ns(record.get("@timestamp")), record)


class PeerEngine:
    """A fresh ``PythonEngine`` per run, counting what it outputs."""

    def __init__(self, rules: PeerRules) -> None:
        self.rules = rules
        self.alerts = 0
        self.errors = 0

    def _engine(self) -> Any:
        import eql

        engine = eql.PythonEngine({"time_unit": NS_PER_S})
        engine.add_output_hook(self._count)
        engine.add_queries([q for _, q in self.rules.queries])
        return engine

    def _count(self, _result: Any) -> None:
        self.alerts += 1

    def end_to_end(self, path: str, limit: int) -> dict[str, Any]:
        """The first ``limit`` lines of ``path``: orjson, convert, stream, finalize."""
        engine = self._engine()
        self.alerts = self.errors = 0
        loads = orjson.loads
        count = 0
        started = time.perf_counter()
        with open(path, "rb") as stream:
            for line in islice(stream, limit):
                self._stream(engine, to_event(loads(line)))
                count += 1
        engine.finalize()
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "events": count, "alerts": self.alerts,
                "errors": self.errors}

    def _stream(self, engine: Any, event: Any) -> None:
        # PythonEngine.stream_event's own loop, with a failing hook (eql raises on some array
        # values) counted instead of skipping the event's remaining hooks.
        for hook in engine._event_hooks[event.type]:
            try:
                hook(event)
            except Exception:
                self.errors += 1

    def evaluation(self, events: Sequence[Any]) -> dict[str, Any]:
        """Pre-converted events through ``stream_events``."""
        engine = self._engine()
        self.alerts = self.errors = 0
        started = time.perf_counter()
        for event in events:
            self._stream(engine, event)
        engine.finalize()
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "events": len(events), "alerts": self.alerts,
                "errors": self.errors}

    def calibrate(self, path: str, budget_s: float, total: int, probe: int = 300) -> int:
        """How many leading events one run can take within ``budget_s`` (a multiple of 100)."""
        probe = min(probe, total)
        run = self.end_to_end(path, probe)
        rate = run["events"] / max(run["seconds"], 1e-9)
        fits = int(rate * budget_s) // 100 * 100
        return max(min(fits, total), probe)


def load_prefix(path: str, limit: int) -> list[Any]:
    """The first ``limit`` events of ``path`` as ``eql.Event`` objects."""
    with open(path, "rb") as stream:
        return [to_event(orjson.loads(line)) for line in islice(stream, limit)]
