"""The state store protocol: where a sequence engine keeps its partial matches.

A store maps ``(rule_id, join_key)`` to one *entry*: an opaque value owned by the engine (plain,
picklable and JSON-able data: lists, tuples, dicts, str, int, float, bool, None, and the
original event records), plus two numbers the engine declares with every write:

* ``size``: how many partial matches the entry holds (pending sequences, candidates awaiting a
  trailing missing-event check, sample candidates). Quotas count these.
* ``deadline``: event time in integer nanoseconds after which the entry needs the engine's
  attention (its earliest partial can no longer complete because ``maxspan`` has passed), or
  ``None`` when nothing in it expires.

Guarantees every store gives (the contract of ``hookspecs.kestrel_state_stores``):

* **Read your writes.** ``get`` returns the last value ``put`` for the key (the same object or an
  equal copy), until it is deleted, expired or evicted.
* **Expiry is by event time.** ``expire(now_ns)`` removes and returns every entry whose
  ``deadline < now_ns`` (strictly: ``maxspan`` is inclusive). The engine decides what the expiry
  means (drop stale partials, accept candidates whose trailing missing-event window closed) and
  may ``put`` back what remains.
* **Quotas.** ``max_partials_per_rule`` bounds the summed ``size`` of one rule's entries: a ``put``
  that exceeds it evicts that rule's least recently written entries (never another rule's) until
  the rule is back within bounds. ``max_partials_per_key`` bounds one entry's ``size``: the engine
  trims to it (it knows which partial is oldest) and reports the trim with ``count``; an entry
  still above it is dropped by the store.
* **Counters.** Every eviction, expiry and quota hit is counted per rule and shown by ``stats()``.
* **Durability.** ``checkpoint(position)`` makes the entries, the engine metadata (``set_meta``)
  and the source position durable together, atomically, if the store is durable;
  ``restore()`` loads the last checkpoint and returns its position (``None`` when there is none).
  Volatile stores implement both as no-ops.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

import attrs

#: A join key: the key values of one event, positionally aligned across a rule's steps.
JoinKey = tuple[Any, ...]

#: Counter names a store keeps per rule (engines may add their own with ``count``).
STORE_COUNTERS: tuple[str, ...] = (
    "evictions",  # entries evicted to honour max_partials_per_rule (least recently written first)
    "evicted_partials",  # the partials those entries held
    "expirations",  # entries handed back by expire() because their deadline passed
    "key_quota_drops",  # entries dropped because their size exceeded max_partials_per_key
)


@attrs.frozen
class Expired:
    """An entry ``expire`` removed: the engine decides what remains of it."""

    rule_id: str
    key: JoinKey
    value: Any


@runtime_checkable
class StateStore(Protocol):
    """What a ``StateStore`` component's factory returns. See the module docstring."""

    name: str
    max_partials_per_rule: int | None
    max_partials_per_key: int | None

    def get(self, rule_id: str, key: JoinKey) -> Any | None:
        """The entry's value for ``(rule_id, key)``, or ``None`` when there is none."""
        ...

    def put(
        self,
        rule_id: str,
        key: JoinKey,
        value: Any,
        *,
        size: int = 1,
        deadline: int | None = None,
    ) -> None:
        """Create or replace the entry; marks it most recently used and may evict others."""
        ...

    def delete(self, rule_id: str, key: JoinKey) -> None:
        """Remove the entry if present (not counted as an eviction)."""
        ...

    def items(self, rule_id: str) -> Iterator[tuple[JoinKey, Any]]:
        """Every ``(key, value)`` of a rule, least recently written first. Do not write while
        iterating; collect first."""
        ...

    def rule_ids(self) -> list[str]:
        """The rules that currently hold entries."""
        ...

    def expire(self, now_ns: int) -> list[Expired]:
        """Remove and return every entry whose ``deadline < now_ns``, earliest deadline first."""
        ...

    def count(self, rule_id: str, counter: str, n: int = 1) -> None:
        """Add ``n`` to a per-rule counter (shown by ``stats()``)."""
        ...

    def get_meta(self, name: str) -> Any | None:
        """Engine-wide metadata (watermarks, counters the engine must not lose), or ``None``."""
        ...

    def set_meta(self, name: str, value: Any) -> None:
        """Set engine-wide metadata; checkpointed with the entries."""
        ...

    def stats(self) -> dict[str, Any]:
        """``{"store": name, "keys": n, "partials": n, "rules": {rule_id: {"keys", "partials",
        counters...}}}``."""
        ...

    def checkpoint(self, position: Any) -> None:
        """Make entries, metadata and ``position`` durable together (no-op when volatile)."""
        ...

    def restore(self) -> Any | None:
        """Load the last checkpoint; return its source position (``None``: start afresh)."""
        ...

    def close(self) -> None:
        """Release resources. The store is unusable afterwards."""
        ...
