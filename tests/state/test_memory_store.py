"""The ``memory`` state store: read-your-writes, LRU quotas per rule and key, expiry, counters."""

from __future__ import annotations

import pickle

import pluggy
import pytest

from kestrel_core import PROJECT_NAME, hookspecs
from kestrel_core.builtins import state_stores
from kestrel_core.state import MemoryStore, StateStore


def test_is_a_state_store_and_reads_its_writes() -> None:
    store = MemoryStore()
    assert isinstance(store, StateStore)
    assert store.get("r", (1,)) is None
    store.put("r", (1,), [1, 2], size=2)
    assert store.get("r", (1,)) == [1, 2]
    assert store.get("other", (1,)) is None
    store.put("r", (1,), [3], size=1)
    assert store.get("r", (1,)) == [3]
    assert store.stats()["rules"]["r"]["partials"] == 1
    store.delete("r", (1,))
    store.delete("r", (1,))
    assert store.get("r", (1,)) is None
    assert store.stats()["partials"] == 0


def test_lru_eviction_within_the_rule_quota() -> None:
    store = MemoryStore(max_partials_per_rule=3)
    for k in range(3):
        store.put("r", (k,), k)
    store.put("r", (0,), "touched")  # (0,) becomes most recent
    store.put("r", (3,), 3)
    assert store.get("r", (1,)) is None  # least recently written went first
    assert [k for k, _ in store.items("r")] == [(2,), (0,), (3,)]
    store.put("r", (4,), 4, size=2)
    assert [k for k, _ in store.items("r")] == [(3,), (4,)]
    stats = store.stats()["rules"]["r"]
    assert stats["evictions"] == 3 and stats["evicted_partials"] == 3
    assert stats["partials"] == 3


def test_quotas_are_per_rule() -> None:
    store = MemoryStore(max_partials_per_rule=2)
    store.put("quiet", ("q",), 1)
    for k in range(10):
        store.put("noisy", (k,), k)
    assert store.get("quiet", ("q",)) == 1
    assert store.stats()["rules"]["noisy"]["evictions"] == 8
    assert store.stats()["rules"]["quiet"]["evictions"] == 0


def test_an_entry_above_the_key_quota_is_dropped_and_counted() -> None:
    store = MemoryStore(max_partials_per_key=2)
    store.put("r", ("k",), "small", size=2)
    store.put("r", ("k",), "big", size=3)
    assert store.get("r", ("k",)) is None
    assert store.stats()["rules"]["r"]["key_quota_drops"] == 1


def test_expiry_is_strictly_after_the_deadline_and_counted() -> None:
    store = MemoryStore()
    store.put("r", (1,), "a", deadline=10)
    store.put("r", (2,), "b", deadline=20)
    store.put("s", (1,), "c", deadline=5)
    store.put("s", (2,), "d")  # no deadline: never expires
    assert store.expire(5) == []  # maxspan is inclusive: a deadline of 5 still holds at 5
    assert [e.value for e in store.expire(6)] == ["c"]
    assert store.get("s", (1,)) is None
    assert [e.key for e in store.expire(10)] == []
    expired = store.expire(11)
    assert [(e.rule_id, e.key, e.value) for e in expired] == [("r", (1,), "a")]
    store.put("r", (2,), "b2", deadline=30)  # rewritten: the old deadline no longer applies
    assert store.expire(25) == []
    assert [e.value for e in store.expire(31)] == ["b2"]
    stats = store.stats()["rules"]
    assert stats["r"]["expirations"] == 2 and stats["s"]["expirations"] == 1
    assert store.get("s", (2,)) == "d"


def test_stale_heap_items_are_compacted() -> None:
    store = MemoryStore()
    for t in range(5000):
        store.put("r", (0,), t, deadline=t + 100_000)
    assert len(store._heap) < 2 * 1 + 1024 + 2
    assert [e.value for e in store.expire(10**9)] == [4999]


def test_counters_metadata_and_volatile_checkpoints() -> None:
    store = MemoryStore()
    store.count("r", "completed", 2)
    store.count("r", "completed")
    assert store.stats()["rules"]["r"]["completed"] == 3
    store.set_meta("watermark", 5)
    assert store.get_meta("watermark") == 5
    store.checkpoint({"offset": 10})
    assert store.restore() is None
    store.close()
    assert store.stats()["keys"] == 0


def test_values_stay_plain_data() -> None:
    store = MemoryStore()
    value = [[None, [1, 2, None, False, None, [(1, None, 0, 1, ("a",), {"x": 1}, None)]]], [], None]
    store.put("r", ("k", None), value)
    assert pickle.loads(pickle.dumps(store.get("r", ("k", None)))) == value


@pytest.mark.parametrize("bad", [0, -1, "10"])
def test_bad_limits_are_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="max_partials_per_rule"):
        MemoryStore(max_partials_per_rule=bad)  # type: ignore[arg-type]


def test_registered_through_the_public_hook() -> None:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(state_stores, name="undo-state-stores")
    try:
        (stores,) = pm.hook.kestrel_state_stores()
        memory, sqlite = stores
        assert memory.name == "memory" and memory.factory is MemoryStore
        assert sqlite.name == "sqlite" and {o.name for o in sqlite.config} >= {
            "path",
            "checkpoint_interval",
        }
        assert {o.name for o in memory.config} == {"max_partials_per_rule", "max_partials_per_key"}
        assert memory.factory(max_partials_per_rule=5).max_partials_per_rule == 5
    finally:
        pm.unregister(name="undo-state-stores")
