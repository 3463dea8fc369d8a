"""The join matcher of one ``join`` rule (Endgame EQL semantics).

``join by keys [a] [b] ... until [c]`` is unordered and has no time bound: per join key, each
step keeps the *first* event that matches it (a later one does not replace it); when every step
holds an event, the join completes with the events in step order and the key starts afresh. An
``until`` event discards the key's pending events (an event that completes the join and also
matches ``until`` completes it first). The state per key, in the store, is one event reference
per step (``None`` while empty); its size is 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from kestrel_nfa.match import Match
from kestrel_nfa.refs import EventRef, to_event

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.state.api import StateStore
    from kestrel_nfa.keys import JoinKey, KeyFunction

COUNTERS = ("completed", "kept_first", "rejected_until")


@attrs.frozen
class JoinPlan:
    """What the join matcher needs of one ``join`` rule."""

    rule_id: str
    n_steps: int
    until_step: int | None
    keys: tuple[KeyFunction, ...]


class JoinMatcher:
    """Fills one slot per step and join key; completes when all are filled."""

    def __init__(self, plan: JoinPlan, store: StateStore) -> None:
        self.plan = plan
        self.store = store
        self.counters: dict[str, int] = dict.fromkeys(COUNTERS, 0)

    def process(self, event: Event, ref: EventRef, steps: list[int], out: list[Match]) -> None:
        """Put the event in every empty slot it matches; complete or discard joins."""
        plan = self.plan
        store = self.store
        until = False
        for step in sorted(steps):
            if step == plan.until_step:
                until = True
                continue
            for key in plan.keys[step](event):
                slots = store.get(plan.rule_id, key) or [None] * plan.n_steps
                if slots[step] is not None:
                    self.counters["kept_first"] += 1
                    continue
                slots[step] = ref
                if all(s is not None for s in slots):
                    out.append(Match(plan.rule_id, tuple(to_event(r) for r in slots), key))
                    self.counters["completed"] += 1
                    store.delete(plan.rule_id, key)
                else:
                    store.put(plan.rule_id, key, slots)
        if until and plan.until_step is not None:
            for key in plan.keys[plan.until_step](event):
                if store.get(plan.rule_id, key) is not None:
                    store.delete(plan.rule_id, key)
                    self.counters["rejected_until"] += 1

    def on_expired(self, key: JoinKey, slots: Any, now: int, out: list[Match]) -> None:
        """Joins carry no deadline; an expired entry is put back unchanged."""
        self.store.put(self.plan.rule_id, key, slots)

    def finish(self, out: list[Match]) -> None:
        """End of input: incomplete joins give nothing."""
