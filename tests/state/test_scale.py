"""Bounds under load: a million distinct join keys through a two-step sequence rule, and the
memory one pending partial costs (measured with tracemalloc)."""

from __future__ import annotations

import gc
import os
import time
import tracemalloc

from kestrel_core.events.model import Event
from kestrel_core.state import MemoryStore
from kestrel_nfa import NfaEngine
from kestrel_nfa.testing import field, sequence_rule, step

QUOTA = 10_000
#: Wall-clock budget of the million-key run; generous because CI machines are shared (about
#: 26 us per event was measured on a loaded 2-core machine).
BUDGET_S = float(os.environ.get("KESTREL_SCALE_BUDGET_S", "120"))


def test_a_million_join_keys_stay_within_the_rule_quota() -> None:
    rule = sequence_rule("r", [step(), step()], by=[field("k")], maxspan=10**15)
    store = MemoryStore(max_partials_per_rule=QUOTA)
    engine = NfaEngine([rule], store)
    first, second = [("r", 0)], [("r", 1)]
    fields: dict[str, int] = {}
    event = Event(("a",), 0, None, fields, fields)
    n = 1_000_000
    completed = 0
    peak = 0
    started = time.perf_counter()
    for i in range(n):
        fields = {"k": i}
        event = Event(("a",), i, None, fields, fields, i)
        engine.process(event, first)
        if i % 100 == 99:  # the second step of a key seen 50 events ago (still held)
            fields = {"k": i - 50}
            completed += len(engine.process(Event(("a",), i, None, fields, fields, i), second))
            peak = max(peak, store.partials("r"))
    elapsed = time.perf_counter() - started
    stats = engine.stats()["rules"]["r"]
    print(f"\n1M keys: {elapsed:.1f} s, {n / elapsed:,.0f} events/s, stats {stats}")
    assert peak <= QUOTA
    assert stats["partials"] <= QUOTA and stats["keys"] <= QUOTA
    assert stats["evictions"] == stats["evicted_partials"] >= n - QUOTA - completed
    assert completed == stats["completed"] == n // 100
    assert elapsed < BUDGET_S


def test_memory_per_pending_partial() -> None:
    rule = sequence_rule("r", [step(), step(), step()], by=[field("k")], maxspan=10**12)
    store = MemoryStore(max_partials_per_rule=None)
    engine = NfaEngine([rule], store)
    n = 50_000
    records = [{"k": i} for i in range(n)]  # the caller's records: not the engine's cost
    events = [Event(("a",), i, None, r, r, i) for i, r in enumerate(records)]
    hits = [("r", 0)]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for event in events:
        engine.process(event, hits)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    per_partial = (after - before) / n
    print(f"\nmemory per pending partial (one event, one key): {per_partial:.0f} bytes")
    assert store.partials("r") == n
    assert per_partial < 1500
