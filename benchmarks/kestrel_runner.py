"""Driving Kestrel through its public API: compile, assemble, run, time.

Everything here runs inside one scenario's subprocess (:mod:`benchmarks.child`). Engine
construction (rule compilation, code generation) is never inside a timed region.
"""

from __future__ import annotations

import gc
import re
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

import attrs

from benchmarks.latency import CountingSink, LatencySink, ReadTimes, percentile
from benchmarks.rulesets import RuleText

#: Events per batch: ``None`` is the engine's own choice (its runtime's preferred batch), as
#: ``kestrel run`` makes it.
BATCH: int | None = None
#: "kestrel: rule not loaded: WHERE: rule 'ID': ERROR" (Engine's report of a dropped rule)
_DROPPED = re.compile(r"rule not loaded: .*?rule '([^']+)': (.*)")


class Unavailable(Exception):
    """A part of Kestrel this scenario needs is not there (yet): the scenario is skipped."""


@attrs.define
class CompiledSet:
    """The rules Kestrel compiled, and why the others did not."""

    rules: list[Any]
    failures: Counter[str]
    seconds: float


def _quiet(message: str) -> None:
    """Engine reports (rules not loaded, malformed events) are counted, not printed."""


def _reason(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first[:90]}"


def compile_rules(texts: Sequence[RuleText], limit: int | None = None) -> CompiledSet:
    """``compile_query`` every rule; failures are counted by reason, the rest kept (the first
    ``limit`` when given)."""
    try:
        from kestrel_eql import compile_query
    except ImportError as exc:
        raise Unavailable(f"kestrel_eql.compile_query is not available yet ({exc})") from exc
    from kestrel_core.rules import Rule

    started = time.perf_counter()
    rules: list[Any] = []
    failures: Counter[str] = Counter()
    for text in texts:
        if limit is not None and len(rules) >= limit:
            break
        try:
            query = compile_query(text.query)
        except Exception as exc:  # any failure to compile is counted and the rule skipped
            failures[_reason(exc)] += 1
            continue
        rules.append(Rule(id=text.id, name=text.name, query=query))
    return CompiledSet(rules, failures, time.perf_counter() - started)


class KestrelHarness:
    """One runtime, one rule set: builds fresh engines and times them."""

    def __init__(self, rules: list[Any], runtime: str) -> None:
        try:
            from kestrel_core.plugins import PluginManager
        except ImportError as exc:  # pragma: no cover - kestrel-core is always there
            raise Unavailable(str(exc)) from exc
        self.pm = PluginManager().load()
        self.runtime = runtime
        self.rules = list(rules)
        #: Rules the runtime could not compile, by rule id, with the reason.
        self.dropped: dict[str, str] = {}
        self.build_seconds = 0.0

    def engine(self, sinks: Sequence[Any]) -> Any:
        """A fresh engine; rules the runtime rejects are dropped (by the id its error names)."""
        from kestrel_core.config import Config
        from kestrel_core.engine import Engine
        from kestrel_core.errors import ConfigError

        while True:
            started = time.perf_counter()
            try:
                engine = Engine(
                    Config(schema="ecs", runtime=self.runtime, workers=1),
                    self.pm,
                    rules=self.rules,
                    sinks=list(sinks),
                    report=self._report,
                )
            except ConfigError as exc:
                culprit = self._culprit(exc)
                if culprit is None:
                    raise Unavailable(_reason(exc)) from exc
                self._drop(culprit, exc)
                continue
            except Exception as exc:
                culprit = self._culprit(exc)
                if culprit is None:
                    raise
                self._drop(culprit, exc)
                continue
            self.build_seconds = time.perf_counter() - started
            return engine

    def _report(self, message: str) -> None:
        """Engine reports are not printed; a rule the engine drops because the runtime cannot
        compile it is recorded as dropped, like one whose error stops the engine."""
        found = _DROPPED.search(message)
        if found and found.group(1) in {r.id for r in self.rules}:
            self.dropped.setdefault(found.group(1), found.group(2)[:90])
            self.rules = [r for r in self.rules if r.id != found.group(1)]

    def _culprit(self, exc: BaseException) -> str | None:
        named = getattr(exc, "rule_id", None)
        ids = {r.id for r in self.rules}
        if named in ids:
            return named
        message = str(exc)
        return next((r.id for r in self.rules if r.id in message), None)

    def _drop(self, rule_id: str, exc: BaseException) -> None:
        self.dropped[rule_id] = _reason(exc)
        self.rules = [r for r in self.rules if r.id != rule_id]

    # ------------------------------------------------------------------ measurements

    def end_to_end(self, path: str) -> dict[str, Any]:
        """NDJSON file -> decode -> normalize -> detect -> alerts, as ``kestrel run`` does."""
        sink = CountingSink()
        return self.timed_files(self.engine([sink]), sink, path)

    def timed_files(self, engine: Any, sink: CountingSink, path: str) -> dict[str, Any]:
        """Time ``engine.run_files`` over ``path`` and close it (the engine is already built)."""
        started = time.perf_counter()
        engine.run_files([path], batch_size=BATCH)
        stats = engine.close()
        seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "events": stats.get("decoded", stats.get("evaluated", 0)),
            "alerts": sink.alerts,
            "malformed": stats.get("malformed", 0),
            "per_rule_alerts": stats.get("per_rule_alerts", {}),
        }

    def decode(self, path: str) -> list[Any]:
        """Every event of ``path``, decoded and normalized (not timed)."""
        from kestrel_core.inputs import read_events

        engine = self.engine([CountingSink()])
        return list(read_events([path], engine.schema, report=_quiet))

    def evaluation(self, events: Sequence[Any]) -> dict[str, Any]:
        """Pre-decoded events through ``Engine.process`` in batches, then ``finish``."""
        sink = CountingSink()
        engine = self.engine([sink])
        started = time.perf_counter()
        size = BATCH or engine.preferred_batch
        for start in range(0, len(events), size):
            engine.process(events[start : start + size])
        engine.finish()
        seconds = time.perf_counter() - started
        engine.close()
        return {"seconds": seconds, "events": len(events), "alerts": sink.alerts}

    def latency(self, path: str) -> dict[str, Any]:
        """Read -> alert latency of every alert of one end-to-end run (the reader is wrapped)."""
        from kestrel_core.inputs import read_events

        reads = ReadTimes()
        sink = LatencySink(reads)
        engine = self.engine([sink])
        events = read_events([path], engine.schema, engine.input_stats, report=_quiet)
        engine.run_events(reads.timed(events), batch_size=BATCH)
        engine.close()
        lat = sink.latencies
        return {
            "alerts": len(lat) + sink.unmatched,
            "p50_ms": _ms(percentile(lat, 0.5)),
            "p99_ms": _ms(percentile(lat, 0.99)),
            "max_ms": _ms(max(lat) if lat else None),
        }

    def partial_memory(self, path: str, max_events: int) -> dict[str, Any]:
        """Bytes per pending partial sequence: the store's figure if it gives one, else what
        ``tracemalloc`` sees retained after streaming ``max_events`` events (no ``finish``)."""
        from kestrel_core.inputs import read_events

        engine = self.engine([CountingSink()])
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        events: Iterable[Any] = read_events([path], engine.schema, report=_quiet)
        batch: list[Any] = []
        size = BATCH or engine.preferred_batch
        for event in islice(events, max_events):
            batch.append(event)
            if len(batch) >= size:
                engine.process(batch)
                batch = []
        if batch:
            engine.process(batch)
        del batch, events
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        stats = engine.stats()
        state = stats.get("state") or {}
        sequences = stats.get("sequences") or {}
        partials = state.get("partials", sequences.get("partials", 0))
        own = state.get("bytes") or state.get("memory_bytes")
        per = own / partials if own and partials else (retained / partials if partials else None)
        return {
            "events": max_events,
            "partials": partials,
            "keys": state.get("keys", (sequences.get("store") or {}).get("keys")),
            "retained_bytes": retained,
            "bytes_per_partial": per,
            "method": "state store stats" if own else "tracemalloc",
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 3)
