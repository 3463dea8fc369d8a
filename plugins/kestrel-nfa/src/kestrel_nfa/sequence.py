"""The sequence matcher of one ``sequence`` rule (Elasticsearch EQL semantics).

State per join key (kept in the state store, plain lists so a durable store can checkpoint it)::

    [slots, pending, lead]
    slots[j]   the partial that has matched positive positions 0..j and waits for j+1, or None
    pending    completed candidates waiting for their trailing missing-event window to close:
               [reference_ts, partial]
    lead       the latest two distinct timestamps of leading missing events: [latest, previous]

    partial = [start_ts, last_ts, gap_ts, blocked, lead_ts, refs]

Semantics:

* **One partial per stage, newest wins.** A hit on positive position 0 starts a partial in
  ``slots[0]``, replacing the one there (``A1 A2 / B3 -> A2 B3``). A hit on position ``j`` moves
  ``slots[j-1]`` on to ``slots[j]`` (or completes it). Positions are visited from last to first,
  so one event never advances a partial through two stages, yet it may complete one partial and
  start or extend another.
* **maxspan** is inclusive and measured from the first positive event: a partial whose
  ``start + maxspan`` is before the extending event's time is discarded (``rejected_maxspan``);
  the store's expiry drops it earlier when time passes (``expired``).
* **until**: an until event discards the key's pending partials whose last event is not after it
  (``rejected_until``). Steps are processed before the until, so an event that both completes a
  sequence and is an until event completes it (``sequenceWithOptionalFieldsAndUntil_1``).
* **Missing events** follow Elasticsearch's check of completed candidates. A gap event (between
  positive stages ``j-1`` and ``j``) blocks the partial when its time is strictly between the two
  positive events' times; a blocked partial still advances (so it displaces what it would have
  displaced in Elasticsearch) but is rejected on completion. With ``L`` the last leading missing
  event strictly before the first positive event and ``T`` the first trailing one strictly after
  the last positive event, a candidate is accepted when: only leading steps: ``L`` is absent or
  ``last - L > maxspan``; only trailing: ``T`` is absent or ``T - first > maxspan``; both: ``L``
  or ``T`` is absent or ``T - L > maxspan``. A candidate waiting on ``T`` is accepted once event
  time passes ``reference + maxspan`` (store expiry) or at :meth:`finish`.
* **Out-of-order arrival** (``kestrel run``): a match requires non-decreasing timestamps. An event
  older than a partial's last event does not extend it, an event older than the partial already
  in a slot does not replace it (``out_of_order``), and an until event only discards partials
  whose last event is not after it. Expiry follows the highest timestamp seen (the watermark),
  so a late event whose ``start + maxspan`` is already behind the watermark cannot start anything
  that completes. Events without a timestamp order by arrival alone; they can take part only in
  rules without ``maxspan`` (maxspan cannot be verified without time) and are ignored as missing
  events.

Cost: most hits are on steps that can only act on partials already there (a later positive
step, a gap or trailing missing event: ``inert_steps``). The matcher keeps ``held``, at least the
number of keys it holds in the store; while it is 0 such hits are dropped before their keys are
computed (the engine drops them before it even groups an event's hits by rule).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kestrel_nfa.match import Match
from kestrel_nfa.refs import EventRef, to_event

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.state.api import StateStore
    from kestrel_nfa.keys import JoinKey
    from kestrel_nfa.plan import SequencePlan

START, LAST, GAP, BLOCKED, LEAD, REFS = range(6)

COUNTERS = (
    "completed",
    "replaced",
    "rejected_maxspan",
    "rejected_until",
    "rejected_missing",
    "expired",
    "out_of_order",
    "key_quota_trims",
)


def _not_after(a: int | None, b: int | None) -> bool:
    """``a <= b``, true when either time is unknown (arrival order decides)."""
    return a is None or b is None or a <= b


def _after(a: int | None, b: int | None) -> bool:
    """``a > b``, false when either time is unknown."""
    return a is not None and b is not None and a > b


def _plus(a: int | None, span: int) -> int | None:
    return None if a is None else a + span


def _within(start: int | None, ts: int | None, maxspan: int) -> bool:
    """``ts - start <= maxspan`` (inclusive); false when either time is unknown."""
    return start is not None and ts is not None and ts - start <= maxspan


class SequenceMatcher:
    """Advances the partial matches of one sequence rule; see the module docstring."""

    def __init__(self, plan: SequencePlan, store: StateStore, held: int | None = None) -> None:
        """``held``: how many keys the store holds for the rule already (a restored checkpoint);
        asked of the store when not given. Restore the store before building the matcher."""
        self.plan = plan
        self.store = store
        self.counters: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self._n_slots = plan.n_positive - 1
        step_of: dict[int, int] = {}
        for step, js in plan.positions.items():
            for j in js:
                step_of[j] = step
        self._position_step = tuple(step_of[j] for j in range(plan.n_positive))
        #: The one positive position of each step that fills exactly one.
        self._one_position = {step: js[0] for step, js in plan.positions.items() if len(js) == 1}
        #: Steps that only act on keys that already hold state (gap and trailing missing-event
        #: steps, until); leading missing-event steps create state.
        self._existing_only = plan.trailing_steps.union(
            plan.gap_positions, () if plan.until_step is None else (plan.until_step,)
        )
        #: Steps whose hits only change partials that were there before the event (positive
        #: positions after the first, gap and trailing missing events), whatever else the
        #: event hits; the until step is not one (it discards a partial the event starts).
        self.inert_steps = frozenset(
            step
            for step in range(len(plan.keys))
            if step != plan.until_step
            and step not in plan.leading_steps
            and 0 not in plan.positions.get(step, ())
        )
        #: At least the number of keys the rule holds in the store (evictions and quota drops,
        #: which the matcher does not see, leave it above). At 0, hits on inert steps (and a
        #: lone hit on the until step) change nothing and are skipped before their keys are
        #: computed.
        self.held = held_keys(store.stats(), plan.rule_id) if held is None else held
        #: Bumped whenever ``held`` goes from 0 to 1 or back (the engine shares one counter
        #: between its matchers to know when :meth:`NfaEngine.idle_steps` changes).
        self.idle_changes = [0]

    # -- per event ---------------------------------------------------------------------------

    def process(self, event: Event, ref: EventRef, steps: list[int], out: list[Match]) -> None:
        """Apply one event's hits (query step indices of this rule) and collect completions."""
        if len(steps) == 1:
            step = steps[0]
            if not self.held and (step in self.inert_steps or step == self.plan.until_step):
                return  # no partial waits for this hit
            j = self._one_position.get(step)
            if j is not None:
                self._process_one(event, event.timestamp, ref, step, j, out)
                return
            if step in self._existing_only:
                self._process_existing(event, step, out)
                return
        self._process_many(event, ref, steps, out)

    def _process_many(
        self, event: Event, ref: EventRef, steps: list[int], out: list[Match]
    ) -> None:
        """The general case: several steps, or a step filling several positions (runs)."""
        plan = self.plan
        ts = event.timestamp
        states: dict[JoinKey, list[Any]] = {}
        existed: set[JoinKey] = set()
        keys_of: dict[int, list[JoinKey]] = {}

        def keys(step: int) -> list[JoinKey]:
            found = keys_of.get(step)
            if found is None:
                found = keys_of[step] = plan.keys[step](event)
            return found

        def state(key: JoinKey) -> list[Any]:
            st = states.get(key)
            if st is None:
                st = self.store.get(plan.rule_id, key)
                if st is None:
                    st = [[None] * self._n_slots, [], None]
                else:
                    existed.add(key)
                states[key] = st
            return st

        positions: list[int] = []
        for step in steps:
            positions.extend(plan.positions.get(step, ()))
        if len(positions) > 1:
            positions.sort(reverse=True)
        for j in positions:
            for key in keys(self._position_step[j]):
                self._advance(state(key), key, j, ts, ref, out)

        for step in steps:
            if step in plan.positions or step == plan.until_step:
                continue
            if step in plan.leading_steps:
                for key in keys(step):
                    self._note_leading(state(key), ts)
            else:
                for key in keys(step):
                    self._note_missing(state(key), key, step, ts, out)

        if plan.until_step is not None and plan.until_step in steps:
            for key in keys(plan.until_step):
                self._until(state(key), ts)

        for key, st in states.items():
            self._save(key, st, key in existed)

    def _process_one(
        self, event: Event, ts: int | None, ref: EventRef, step: int, j: int, out: list[Match]
    ) -> None:
        """The common case: one hit, on a step that fills one positive position."""
        rule_id = self.plan.rule_id
        get = self.store.get
        for key in self.plan.keys[step](event):
            st = get(rule_id, key)
            existed = st is not None
            if st is None:
                if j:
                    continue  # nothing of this key waits for position j
                st = [[None] * self._n_slots, [], None]
            self._advance(st, key, j, ts, ref, out)
            self._save(key, st, existed)

    def _process_existing(self, event: Event, step: int, out: list[Match]) -> None:
        """One hit on a gap or trailing missing-event step or on the until step: it changes
        only keys that hold state (all read before any is written, as :meth:`_process_many`)."""
        plan = self.plan
        rule_id = plan.rule_id
        get = self.store.get
        found = []
        for key in plan.keys[step](event):
            st = get(rule_id, key)
            if st is not None:
                found.append((key, st))
        if not found:
            return
        ts = event.timestamp
        for key, st in found:
            if step == plan.until_step:
                self._until(st, ts)
            else:
                self._note_missing(st, key, step, ts, out)
        for key, st in found:
            self._save(key, st, True)

    def _note_missing(
        self, st: list[Any], key: JoinKey, step: int, ts: int | None, out: list[Match]
    ) -> None:
        """A hit on a gap or trailing missing-event step."""
        if step in self.plan.trailing_steps:
            self._note_trailing(st, key, ts, out)
        else:
            self._note_gap(st, self.plan.gap_positions.get(step, ()), ts)

    def _advance(
        self, st: list[Any], key: JoinKey, j: int, ts: int | None, ref: EventRef, out: list[Match]
    ) -> None:
        plan = self.plan
        slots = st[0]
        if j == 0:
            lead_ts = self._lead_before(st[2], ts) if plan.leading_steps else None
            partial = [ts, ts, None, False, lead_ts, [ref]]
            if self._n_slots == 0:
                self._complete(st, key, partial, out)
            else:
                self._place(slots, 0, partial)
            return
        prev = slots[j - 1]
        if prev is None:
            return
        if not _not_after(prev[LAST], ts):
            self.counters["out_of_order"] += 1
            return
        slots[j - 1] = None
        maxspan = plan.maxspan
        if maxspan is not None and not _within(prev[START], ts, maxspan):
            self.counters["rejected_maxspan"] += 1
            return
        blocked = prev[BLOCKED] or (
            plan.gap_before[j] and prev[GAP] is not None and ts is not None and prev[GAP] < ts
        )
        partial = [prev[START], ts, None, blocked, prev[LEAD], [*prev[REFS], ref]]
        if j == self._n_slots:
            self._complete(st, key, partial, out)
        else:
            self._place(slots, j, partial)

    def _place(self, slots: list[Any], index: int, partial: list[Any]) -> None:
        current = slots[index]
        if current is not None:
            if _after(current[LAST], partial[LAST]):
                self.counters["out_of_order"] += 1
                return
            self.counters["replaced"] += 1
        slots[index] = partial

    def _complete(self, st: list[Any], key: JoinKey, partial: list[Any], out: list[Match]) -> None:
        plan = self.plan
        if partial[BLOCKED]:
            self.counters["rejected_missing"] += 1
            return
        maxspan = plan.maxspan
        lead_ts = partial[LEAD]
        if not plan.trailing_steps:
            if lead_ts is None or (
                maxspan is not None and _after(partial[LAST], _plus(lead_ts, maxspan))
            ):
                self._emit(key, partial, out)
            else:
                self.counters["rejected_missing"] += 1
            return
        if plan.leading_steps:
            if lead_ts is None:
                self._emit(key, partial, out)
                return
            reference = lead_ts
        else:
            reference = partial[START]
        st[1].append([reference, partial])

    def _note_leading(self, st: list[Any], ts: int | None) -> None:
        if ts is None:
            return
        lead = st[2]
        if lead is None:
            st[2] = [ts, None]
        elif ts > lead[0]:
            st[2] = [ts, lead[0]]
        elif ts < lead[0] and (lead[1] is None or ts > lead[1]):
            lead[1] = ts

    @staticmethod
    def _lead_before(lead: list[Any] | None, ts: int | None) -> int | None:
        if lead is None or ts is None:
            return None
        if lead[0] < ts:
            return lead[0]
        if lead[1] is not None and lead[1] < ts:
            return lead[1]
        return None

    def _note_gap(self, st: list[Any], positions: tuple[int, ...], ts: int | None) -> None:
        slots = st[0]
        for j in positions:
            partial = slots[j - 1]
            if partial is not None and _after(ts, partial[LAST]):
                gap = partial[GAP]
                partial[GAP] = ts if gap is None or ts < gap else gap  # type: ignore[operator]

    def _note_trailing(self, st: list[Any], key: JoinKey, ts: int | None, out: list[Match]) -> None:
        pending = st[1]
        if not pending:
            return
        maxspan = self.plan.maxspan
        keep = []
        for candidate in pending:
            reference, partial = candidate
            if not _after(ts, partial[LAST]):
                keep.append(candidate)
            elif maxspan is not None and reference is not None and ts - reference > maxspan:  # type: ignore[operator]
                self._emit(key, partial, out)
            else:
                self.counters["rejected_missing"] += 1
        st[1] = keep

    def _until(self, st: list[Any], ts: int | None) -> None:
        slots = st[0]
        for i, partial in enumerate(slots):
            if partial is not None and _not_after(partial[LAST], ts):
                slots[i] = None
                self.counters["rejected_until"] += 1

    # -- storage -----------------------------------------------------------------------------

    def _save(self, key: JoinKey, st: list[Any], existed: bool) -> None:
        slots, pending, lead = st
        limit = self.store.max_partials_per_key
        size = 0
        earliest = None
        for partial in slots:
            if partial is not None:
                size += 1
                start = partial[START]
                if start is not None and (earliest is None or start < earliest):
                    earliest = start
        if pending:
            if limit is not None and size + len(pending) + (lead is not None) > limit:
                trim = min(size + len(pending) + (lead is not None) - limit, len(pending))
                del pending[:trim]
                self.counters["key_quota_trims"] += trim
            size += len(pending)
            for reference, _ in pending:
                if reference is not None and (earliest is None or reference < earliest):
                    earliest = reference
        if lead is not None:
            size += 1
            if earliest is None or lead[0] < earliest:
                earliest = lead[0]
        if size == 0:
            if existed:
                self.store.delete(self.plan.rule_id, key)
                self.held -= 1
                if not self.held:
                    self.idle_changes[0] += 1
            return
        if not existed:
            self.held += 1
            if self.held == 1:
                self.idle_changes[0] += 1
        maxspan = self.plan.maxspan
        deadline = None if maxspan is None or earliest is None else earliest + maxspan
        self.store.put(self.plan.rule_id, key, st, size=size, deadline=deadline)

    def on_expired(self, key: JoinKey, st: list[Any], now: int, out: list[Match]) -> None:
        """The store handed back an entry whose deadline passed: drop what can no longer
        complete, accept candidates whose trailing window closed, store the rest."""
        self.held -= 1  # the store removed the entry
        if not self.held:
            self.idle_changes[0] += 1
        maxspan = self.plan.maxspan
        if maxspan is None:  # pragma: no cover - entries without maxspan carry no deadline
            self._save(key, st, False)
            return
        slots, pending, lead = st
        for i, partial in enumerate(slots):
            if partial is not None and _after(now, _plus(partial[START], maxspan)):
                slots[i] = None
                self.counters["expired"] += 1
        keep = []
        for candidate in pending:
            if candidate[0] is not None and candidate[0] + maxspan < now:
                self._emit(key, candidate[1], out)
            else:
                keep.append(candidate)
        st[1] = keep
        if lead is not None and lead[0] + maxspan < now:
            st[2] = None
        self._save(key, st, False)

    def finish(self, out: list[Match]) -> None:
        """End of input: accept every candidate still waiting on a trailing window."""
        if not self.plan.trailing_steps:
            return
        waiting = [(key, st) for key, st in self.store.items(self.plan.rule_id) if st[1]]
        for key, st in waiting:
            for _, partial in st[1]:
                self._emit(key, partial, out)
            st[1] = []
            self._save(key, st, True)

    def _emit(self, key: JoinKey, partial: list[Any], out: list[Match]) -> None:
        refs = iter(partial[REFS])
        events = tuple(None if missing else to_event(next(refs)) for missing in self.plan.layout)
        out.append(Match(self.plan.rule_id, events, key))
        self.counters["completed"] += 1


def held_keys(store_stats: dict[str, Any], rule_id: str) -> int:
    """How many keys a store holds for ``rule_id``, from what its ``stats()`` returned."""
    return int(store_stats.get("rules", {}).get(rule_id, {}).get("keys", 0))
