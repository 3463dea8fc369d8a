"""The ``memory`` state store: partial matches in process memory, with quotas, LRU and expiry.

Layout: one shard per rule (a :class:`_Shard`: an ``OrderedDict`` of entries kept in least
recently written order, so moving an entry to the end and evicting the oldest are O(1), the
rule's summed size and its counters), so one noisy rule can only
evict its own state. Expiry uses one heap of ``(deadline, tick, rule_id, key)`` for the whole
store with lazy deletion: an item is acted on only when its entry still carries that deadline;
the heap is rebuilt when stale items outnumber live entries.

Each entry is a three-item list ``[value, size, deadline]``; values are the engine's plain data,
stored by reference (no copy).
"""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from kestrel_core.state.api import STORE_COUNTERS, Expired, JoinKey

_VALUE, _SIZE, _DEADLINE = 0, 1, 2


class _Shard:
    """One rule's entries (least recently written first), summed size and counters."""

    __slots__ = ("counters", "entries", "size")

    def __init__(self) -> None:
        self.entries: OrderedDict[JoinKey, list[Any]] = OrderedDict()
        self.size = 0
        self.counters: dict[str, int] = dict.fromkeys(STORE_COUNTERS, 0)


class MemoryStore:
    """In-memory state store: per-rule shards, LRU eviction, quotas and event-time expiry.

    ``max_partials_per_rule`` (default 100,000) bounds the partial matches one rule may hold;
    ``max_partials_per_key`` (default 100) bounds one join key's. ``None`` disables a bound.
    Nothing is durable: ``checkpoint`` and ``restore`` do nothing.
    """

    name = "memory"

    def __init__(
        self,
        max_partials_per_rule: int | None = 100_000,
        max_partials_per_key: int | None = 100,
    ) -> None:
        for label, value in (
            ("max_partials_per_rule", max_partials_per_rule),
            ("max_partials_per_key", max_partials_per_key),
        ):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(
                    f"memory state store: {label} must be a positive integer or unset, "
                    f"got {value!r}"
                )
        self.max_partials_per_rule = max_partials_per_rule
        self.max_partials_per_key = max_partials_per_key
        self._shards: dict[str, _Shard] = {}
        self._heap: list[tuple[int, int, str, JoinKey]] = []
        self._tick = itertools.count()
        self._live_deadlines = 0
        self._meta: dict[str, Any] = {}

    # -- entries ---------------------------------------------------------------------------

    def _shard(self, rule_id: str) -> _Shard:
        shard = self._shards.get(rule_id)
        if shard is None:
            shard = self._shards[rule_id] = _Shard()
        return shard

    def get(self, rule_id: str, key: JoinKey) -> Any | None:
        """The value stored for ``(rule_id, key)``, or ``None``."""
        shard = self._shards.get(rule_id)
        if shard is None:
            return None
        entry = shard.entries.get(key)
        return None if entry is None else entry[_VALUE]

    def put(
        self,
        rule_id: str,
        key: JoinKey,
        value: Any,
        *,
        size: int = 1,
        deadline: int | None = None,
    ) -> None:
        """Create or replace an entry, mark it most recently written, enforce the quotas."""
        shard = self._shards.get(rule_id)
        if shard is None:
            shard = self._shard(rule_id)
        entries = shard.entries
        per_key = self.max_partials_per_key
        if per_key is not None and size > per_key:
            shard.counters["key_quota_drops"] += 1
            self.delete(rule_id, key)
            return
        entry = entries.get(key)
        if entry is None:
            entries[key] = [value, size, deadline]
            shard.size += size
            if deadline is not None:
                self._push(deadline, rule_id, key)
        else:
            entries.move_to_end(key)
            shard.size += size - entry[_SIZE]
            entry[_VALUE] = value
            entry[_SIZE] = size
            if deadline != entry[_DEADLINE]:
                if entry[_DEADLINE] is not None:
                    self._live_deadlines -= 1
                entry[_DEADLINE] = deadline
                if deadline is not None:
                    self._push(deadline, rule_id, key)
        quota = self.max_partials_per_rule
        if quota is not None and shard.size > quota:
            self._evict(rule_id, shard, quota, key)

    def _push(self, deadline: int, rule_id: str, key: JoinKey) -> None:
        self._live_deadlines += 1
        heapq.heappush(self._heap, (deadline, next(self._tick), rule_id, key))
        if len(self._heap) > 2 * self._live_deadlines + 1024:
            self._rebuild_heap()

    def _rebuild_heap(self) -> None:
        heap = [
            (entry[_DEADLINE], next(self._tick), rule_id, key)
            for rule_id, shard in self._shards.items()
            for key, entry in shard.entries.items()
            if entry[_DEADLINE] is not None
        ]
        heapq.heapify(heap)
        self._heap = heap
        self._live_deadlines = len(heap)

    def _evict(self, rule_id: str, shard: _Shard, quota: int, keep: JoinKey) -> None:
        entries = shard.entries
        counters = shard.counters
        while shard.size > quota and len(entries) > 1:
            victim, entry = entries.popitem(last=False)
            if victim == keep:  # pragma: no cover - keep is the newest: reached only when alone
                entries[victim] = entry
                break
            shard.size -= entry[_SIZE]
            if entry[_DEADLINE] is not None:
                self._live_deadlines -= 1
            counters["evictions"] += 1
            counters["evicted_partials"] += entry[_SIZE]
            self._evicted(rule_id, victim)

    def _evicted(self, rule_id: str, key: JoinKey) -> None:
        """Called for every entry evicted by a quota (subclasses track changes here)."""

    def delete(self, rule_id: str, key: JoinKey) -> None:
        """Remove an entry if present."""
        shard = self._shards.get(rule_id)
        if shard is None:
            return
        entry = shard.entries.pop(key, None)
        if entry is not None:
            shard.size -= entry[_SIZE]
            if entry[_DEADLINE] is not None:
                self._live_deadlines -= 1

    def items(self, rule_id: str) -> Iterator[tuple[JoinKey, Any]]:
        """Every ``(key, value)`` of a rule, least recently written first."""
        shard = self._shards.get(rule_id)
        if shard is None:
            return iter(())
        return ((key, entry[_VALUE]) for key, entry in shard.entries.items())

    def rule_ids(self) -> list[str]:
        """Rules that hold entries now."""
        return [rule_id for rule_id, shard in self._shards.items() if shard.entries]

    def expire(self, now_ns: int) -> list[Expired]:
        """Remove and return the entries whose deadline is before ``now_ns``."""
        heap = self._heap
        out: list[Expired] = []
        while heap and heap[0][0] < now_ns:
            deadline, _, rule_id, key = heapq.heappop(heap)
            shard = self._shards.get(rule_id)
            if shard is None:
                continue
            entry = shard.entries.get(key)
            if entry is None or entry[_DEADLINE] != deadline:
                continue  # stale heap item: the entry was rewritten, deleted or evicted
            del shard.entries[key]
            shard.size -= entry[_SIZE]
            self._live_deadlines -= 1
            shard.counters["expirations"] += 1
            out.append(Expired(rule_id, key, entry[_VALUE]))
        return out

    # -- counters, metadata, stats -----------------------------------------------------------

    def count(self, rule_id: str, counter: str, n: int = 1) -> None:
        """Add ``n`` to a per-rule counter."""
        counters = self._shard(rule_id).counters
        counters[counter] = counters.get(counter, 0) + n

    def get_meta(self, name: str) -> Any | None:
        """Engine-wide metadata by name."""
        return self._meta.get(name)

    def set_meta(self, name: str, value: Any) -> None:
        """Set engine-wide metadata."""
        self._meta[name] = value

    def partials(self, rule_id: str) -> int:
        """The summed size of a rule's entries (what ``max_partials_per_rule`` bounds)."""
        shard = self._shards.get(rule_id)
        return 0 if shard is None else shard.size

    def stats(self) -> dict[str, Any]:
        """Totals and, per rule, keys, partials and every counter."""
        rules = {
            rule_id: {"keys": len(shard.entries), "partials": shard.size, **shard.counters}
            for rule_id, shard in self._shards.items()
        }
        return {
            "store": self.name,
            "keys": sum(r["keys"] for r in rules.values()),
            "partials": sum(r["partials"] for r in rules.values()),
            "max_partials_per_rule": self.max_partials_per_rule,
            "max_partials_per_key": self.max_partials_per_key,
            "rules": rules,
        }

    # -- durability hooks (volatile store) ------------------------------------------------------

    def checkpoint(self, position: Any) -> None:
        """Nothing to make durable: a no-op."""

    def restore(self) -> Any | None:
        """Nothing was made durable: always ``None``."""
        return None

    def close(self) -> None:
        """Drop everything."""
        self._shards.clear()
        self._heap.clear()
        self._live_deadlines = 0
        self._meta.clear()
