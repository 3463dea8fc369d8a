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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kestrel_nfa.join import JoinMatcher, JoinPlan
from kestrel_nfa.match import Match
from kestrel_nfa.plan import SamplePlan, SequencePlan, plan_rule
from kestrel_nfa.refs import make_ref
from kestrel_nfa.sample import SampleCollector
from kestrel_nfa.sequence import SequenceMatcher

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.rules import Rule
    from kestrel_core.state.api import StateStore

_META = "nfa"


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
        for rule in rules:
            plan = plan_rule(rule)
            if isinstance(plan, SequencePlan):
                self._matchers[rule.id] = SequenceMatcher(plan, store)
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
        self._needs_all_events = trailing
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
        if not hits:
            return out
        matchers = self._matchers
        if len(hits) == 1:
            rule_id, step = hits[0]
            matcher = matchers.get(rule_id)
            if matcher is None:
                return out
            meta["serial"] += 1
            matcher.process(event, make_ref(event, meta["serial"]), [step], out)
            return out
        grouped: dict[str, list[int]] = {}
        for rule_id, step in hits:
            if rule_id in matchers:
                steps = grouped.get(rule_id)
                if steps is None:
                    grouped[rule_id] = [step]
                elif step not in steps:
                    steps.append(step)
        if not grouped:
            return out
        meta["serial"] += 1
        ref = make_ref(event, meta["serial"])
        for rule_id, steps in grouped.items():
            matchers[rule_id].process(event, ref, steps, out)
        return out

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
