"""``NfaEngine``: the ``nfa`` sequence engine (sequence, until, maxspan, runs, missing, sample,
and Endgame's join).

The caller (``kestrel query`` and ``kestrel run`` alike) evaluates every rule step's condition
per event and hands the engine the hits, event by event in arrival order::

    engine = NfaEngine(rules, store, max_samples_per_key=1)
    for event in events:
        matches += engine.process(event, hits)   # hits: (rule_id, step index) pairs
    matches += engine.finish()

Step indices are those of ``rule.query.steps()`` (a sequence's ``until`` is the last). Rules
whose query is an event query are ignored. All in-flight state lives in the state store, keyed by
(rule id, join key); the engine itself keeps only the per-rule plans, stats counters, the event
time watermark and an arrival counter (both also written to the store's metadata).

Per event the engine groups the hits by rule (rules in first-hit order) and hands each matcher
its steps; hits that cannot change anything (a later step of a sequence that holds no partial)
are dropped first, and the steps' key functions are shared and computed once per event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kestrel_nfa.join import JoinMatcher, JoinPlan
from kestrel_nfa.keys import KeyCache
from kestrel_nfa.match import Match
from kestrel_nfa.plan import SamplePlan, SequencePlan, plan_rule
from kestrel_nfa.refs import make_ref
from kestrel_nfa.sample import SampleCollector
from kestrel_nfa.sequence import SequenceMatcher, held_keys

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.rules import Rule
    from kestrel_core.state.api import StateStore

_META = "nfa"
#: The steps of a rule whose hits were all dropped (shared; never appended to).
_NO_STEPS: list[int] = []


class NfaEngine:
    """NFA sequence engine: Elasticsearch EQL sequences and samples over step hits.

    ``max_samples_per_key`` (default 1) is the number of samples a ``sample`` rule returns per
    join key.
    """

    def __init__(
        self, rules: Sequence[Rule], store: StateStore, *, max_samples_per_key: int = 1
    ) -> None:
        self.store = store
        self._matchers: dict[str, SequenceMatcher | SampleCollector | JoinMatcher] = {}
        self._kinds: dict[str, str] = {}
        expiring = False
        trailing = False
        store_stats = store.stats()  # what a restored checkpoint brought back
        self._keys = KeyCache()
        for rule in rules:
            plan = plan_rule(rule, self._keys.function)
            if isinstance(plan, SequencePlan):
                held = held_keys(store_stats, rule.id)
                self._matchers[rule.id] = SequenceMatcher(plan, store, held=held)
                self._kinds[rule.id] = "sequence"
                expiring = expiring or plan.maxspan is not None
                trailing = trailing or (plan.has_trailing and plan.maxspan is not None)
            elif isinstance(plan, SamplePlan):
                self._matchers[rule.id] = SampleCollector(plan, store, max_samples_per_key)
                self._kinds[rule.id] = "sample"
            elif isinstance(plan, JoinPlan):
                self._matchers[rule.id] = JoinMatcher(plan, store)
                self._kinds[rule.id] = "join"
        self._expiring = expiring
        # (rule id, step) of the sequence steps whose hits change nothing while their rule holds
        # no state (SequenceMatcher.inert_steps): dropped before grouping.
        self._inert: dict[tuple[str, int], SequenceMatcher] = {
            (rule_id, step): matcher
            for rule_id, matcher in self._matchers.items()
            if isinstance(matcher, SequenceMatcher)
            for step in matcher.inert_steps
        }
        self._needs_all_events = trailing
        self._idle_changes = [0]
        for matcher in self._inert.values():
            matcher.idle_changes = self._idle_changes
        self._idle_seen = -1
        self._idle: frozenset[tuple[str, int]] = frozenset()
        # The event-time watermark and the arrival counter live in the store's metadata (one
        # dict, updated in place), so a durable store checkpoints them with the partials.
        meta = store.get_meta(_META)
        if not isinstance(meta, dict):
            meta = {"watermark": None, "serial": 0}
            store.set_meta(_META, meta)
        self._meta: dict[str, Any] = meta

    @property
    def needs_all_events(self) -> bool:
        """True when events without hits matter: they advance event time, which closes the
        windows of trailing missing events (``[a] ![b]``) so those matches come out promptly.
        Without them such matches still come out, on a later hit or at :meth:`finish`."""
        return self._needs_all_events

    def idle_steps(self) -> frozenset[tuple[str, int]]:
        """The (rule id, step) pairs whose hits change nothing now: the inert steps of the
        sequences that hold no partial. Until one of those starts a partial, their hits are
        dropped unseen, so the caller need not evaluate them (the detector passes them to the
        predicate runtime as ``skip``). The same object until it changes."""
        if self._idle_seen != self._idle_changes[0]:
            self._idle_seen = self._idle_changes[0]
            self._idle = frozenset(pair for pair, m in self._inert.items() if not m.held)
        return self._idle

    @property
    def rule_ids(self) -> list[str]:
        """The rules this engine handles (sequence, sample and join rules)."""
        return list(self._matchers)

    def process(self, event: Event, hits: Sequence[tuple[str, int]]) -> list[Match]:
        """Feed one event and the (rule id, step index) pairs whose condition it satisfied;
        return the matches completed by it (or by the event time it brings)."""
        out: list[Match] = []
        meta = self._meta
        ts = event.timestamp
        if ts is not None:
            watermark = meta["watermark"]
            if watermark is None or ts > watermark:
                meta["watermark"] = ts
                if self._expiring:
                    self._expire(ts, out)
        if hits:
            self._step(event, hits, out)
        return out

    def process_batch(
        self, events: Sequence[Event], hits: Sequence[Sequence[tuple[str, int]]]
    ) -> list[tuple[int, Match]]:
        """:meth:`process` over ``events`` in order (``hits[i]`` those of ``events[i]``, maybe
        empty), in one call: each completed match with the index of the event it came at."""
        out: list[tuple[int, Match]] = []
        meta = self._meta
        watermark = meta["watermark"]
        expiring = self._expiring
        found: list[Match] = []
        for i, event in enumerate(events):
            ts = event.timestamp
            if ts is not None and (watermark is None or ts > watermark):
                watermark = meta["watermark"] = ts
                if expiring:
                    self._expire(ts, found)
            event_hits = hits[i]
            if event_hits:
                self._step(event, event_hits, found)
            if found:
                out.extend((i, m) for m in found)
                found = []
        return out

    def _step(self, event: Event, hits: Sequence[tuple[str, int]], out: list[Match]) -> None:
        """The matchers' part of :meth:`process`: the event's hits, grouped by rule."""
        grouped = self._group(hits)
        if not grouped:
            return
        meta = self._meta
        meta["serial"] += 1
        ref = None
        matchers = self._matchers
        for rule_id, steps in grouped.items():
            if steps:
                if ref is None:
                    self._keys.begin()
                    ref = make_ref(event, meta["serial"])
                matchers[rule_id].process(event, ref, steps, out)

    def _group(self, hits: Sequence[tuple[str, int]]) -> dict[str, list[int]]:
        """The distinct steps hit per rule of this engine, rules in first-hit order, less the
        hits that cannot change anything (an inert step of a rule that holds no state): such a
        rule keeps its place with no steps."""
        inert = self._inert
        matchers = self._matchers
        grouped: dict[str, list[int]] = {}
        for hit in hits:
            idle = inert.get(hit)
            if idle is not None and not idle.held:
                if hit[0] not in grouped:
                    grouped[hit[0]] = _NO_STEPS
                continue
            rule_id, step = hit
            steps = grouped.get(rule_id)
            if not steps:  # first hit of the rule, or first after skipped ones
                if steps is not None or rule_id in matchers:
                    grouped[rule_id] = [step]
            elif step not in steps:
                steps.append(step)
        return grouped

    def _expire(self, now: int, out: list[Match]) -> None:
        for expired in self.store.expire(now):
            matcher = self._matchers.get(expired.rule_id)
            if matcher is not None:
                matcher.on_expired(expired.key, expired.value, now, out)

    def finish(self) -> list[Match]:
        """End of input: matches that only end of input completes (candidates waiting on a
        trailing missing-event window, and every sample, in join-key order per rule)."""
        out: list[Match] = []
        for matcher in self._matchers.values():
            matcher.finish(out)
        return out

    def stats(self) -> dict[str, Any]:
        """Per rule: kind, keys and partials held, the engine's counters (completed, replaced,
        rejected_maxspan, rejected_until, rejected_missing, expired, out_of_order, ...) and the
        store's (evictions, evicted_partials, expirations, key_quota_drops); plus totals."""
        store_stats = self.store.stats()
        store_rules = store_stats.get("rules", {})
        rules: dict[str, dict[str, Any]] = {}
        for rule_id, matcher in self._matchers.items():
            held = store_rules.get(rule_id, {})
            rules[rule_id] = {
                "kind": self._kinds[rule_id],
                "keys": held.get("keys", 0),
                "partials": held.get("partials", 0),
                **matcher.counters,
                **{k: v for k, v in held.items() if k not in ("keys", "partials")},
            }
        totals = {
            name: sum(r.get(name, 0) for r in rules.values())
            for name in ("partials", "completed", "evictions", "expired", "expirations")
        }
        return {"engine": "nfa", **totals, "rules": rules, "store": store_stats}
