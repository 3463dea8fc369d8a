"""The sample collector of one ``sample`` rule (Elasticsearch EQL semantics).

``sample by keys [step] [step] ...`` is unordered: for each join key, a sample is one event per
step, every event distinct within the sample (one event may serve several samples). Per join key
and step the collector keeps the first ``n_steps * max_samples_per_key`` matching events in
arrival order (Elasticsearch looks at a similar bounded prefix of each step's hits, in index
order). At :meth:`SampleCollector.finish` it picks, per key, up to ``max_samples_per_key``
samples by backtracking through the steps in order, trying candidates in arrival order, and
returns them ordered by join key (null first, then booleans, numbers, strings), each sample's
events in step order. The state per key is ``[candidates of step 0, candidates of step 1, ...]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kestrel_nfa.keys import key_order
from kestrel_nfa.match import Match
from kestrel_nfa.refs import SERIAL, EventRef, to_event

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.state.api import StateStore
    from kestrel_nfa.keys import JoinKey
    from kestrel_nfa.plan import SamplePlan

COUNTERS = ("completed", "candidates_dropped")


class SampleCollector:
    """Collects candidates per join key and forms samples at end of input."""

    def __init__(self, plan: SamplePlan, store: StateStore, max_samples_per_key: int = 1) -> None:
        if max_samples_per_key < 1:
            raise ValueError(f"max_samples_per_key must be 1 or more, got {max_samples_per_key}")
        self.plan = plan
        self.store = store
        self.max_samples_per_key = max_samples_per_key
        capacity = plan.n_steps * max_samples_per_key
        per_key = store.max_partials_per_key
        if per_key is not None:
            capacity = max(1, min(capacity, per_key // max(plan.n_steps, 1)))
        self.capacity = capacity
        self.counters: dict[str, int] = dict.fromkeys(COUNTERS, 0)

    def process(self, event: Event, ref: EventRef, steps: list[int], out: list[Match]) -> None:
        """Add the event as a candidate of every step it hit, under each of its join keys."""
        plan = self.plan
        states: dict[JoinKey, list[list[EventRef]]] = {}
        for step in steps:
            if step >= plan.n_steps:
                continue
            for key in plan.keys[step](event):
                st = states.get(key)
                if st is None:
                    st = self.store.get(plan.rule_id, key) or [[] for _ in range(plan.n_steps)]
                    states[key] = st
                candidates = st[step]
                if len(candidates) < self.capacity:
                    candidates.append(ref)
                else:
                    self.counters["candidates_dropped"] += 1
        for key, st in states.items():
            self.store.put(plan.rule_id, key, st, size=sum(len(c) for c in st))

    def finish(self, out: list[Match]) -> None:
        """Form the samples of every join key, in join-key order, and forget the candidates."""
        plan = self.plan
        entries = list(self.store.items(plan.rule_id))
        entries.sort(key=lambda item: key_order(item[0]))
        for key, st in entries:
            for sample in pick_samples(st, self.max_samples_per_key):
                out.append(Match(plan.rule_id, tuple(to_event(r) for r in sample), key))
                self.counters["completed"] += 1
            self.store.delete(plan.rule_id, key)

    def on_expired(self, key: JoinKey, st: Any, now: int, out: list[Match]) -> None:
        """Samples carry no deadline; an expired entry is put back unchanged."""
        self.store.put(self.plan.rule_id, key, st, size=sum(len(c) for c in st))


def pick_samples(candidates: list[list[EventRef]], limit: int) -> list[tuple[EventRef, ...]]:
    """Up to ``limit`` samples (one distinct event per step), depth first in candidate order."""
    found: list[tuple[EventRef, ...]] = []
    chosen: list[EventRef] = []
    used: set[int] = set()
    last = len(candidates) - 1

    def walk(step: int) -> None:
        for ref in candidates[step]:
            if len(found) >= limit:
                return
            serial = ref[SERIAL]
            if serial in used:
                continue
            chosen.append(ref)
            if step == last:
                found.append(tuple(chosen))
            else:
                used.add(serial)
                walk(step + 1)
                used.discard(serial)
            chosen.pop()

    if candidates and all(candidates):
        walk(0)
    return found
