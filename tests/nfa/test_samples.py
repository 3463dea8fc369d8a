"""Hand-written sample cases: unordered, distinct events per sample, key order, limits."""

from __future__ import annotations

from typing import Any

from kestrel_core.state import MemoryStore
from kestrel_nfa import Match, NfaEngine
from kestrel_nfa.testing import feed, field, make_event, sample_rule, step


def run(events: list[tuple[list[int], dict[str, Any]]], steps: int = 2, **opts: Any) -> list[Match]:
    rule = sample_rule("s", [step() for _ in range(steps)], by=[field("host", optional=True)])
    engine = NfaEngine([rule], MemoryStore(), **opts)
    built = [
        make_event(None, {**fields, "id": i, "_hits": hits})
        for i, (hits, fields) in enumerate(events)
    ]
    return feed(engine, built, lambda e: [("s", i) for i in e.fields["_hits"]])


def ids(matches: list[Match]) -> list[list[int]]:
    return [[e.record["id"] for e in m.events] for m in matches]


def test_sample_is_unordered_and_sorted_by_key() -> None:
    matches = run(
        [([1], {"host": "b"}), ([0], {"host": "b"}), ([1], {"host": "a"}), ([0], {"host": "a"})]
    )
    assert ids(matches) == [[3, 2], [1, 0]]
    assert [m.join_keys for m in matches] == [("a",), ("b",)]


def test_one_event_is_not_used_twice_in_a_sample() -> None:
    matches = run([([0, 1], {"host": "a"}), ([1], {"host": "a"})])
    assert ids(matches) == [[0, 1]]
    assert run([([0, 1], {"host": "a"})]) == []


def test_null_key_first_and_several_samples_per_key() -> None:
    events = [
        ([0], {"host": "a"}),
        ([0], {"host": "a"}),
        ([1], {"host": "a"}),
        ([0], {}),
        ([1], {}),
    ]
    matches = run(events, max_samples_per_key=2)
    assert ids(matches) == [[3, 4], [0, 2], [1, 2]]
    assert matches[0].join_keys == (None,)


def test_samples_come_out_only_at_finish() -> None:
    rule = sample_rule("s", [step(), step()])
    engine = NfaEngine([rule], MemoryStore())
    assert engine.process(make_event(None, {"id": 0}), [("s", 0)]) == []
    assert engine.process(make_event(None, {"id": 1}), [("s", 1)]) == []
    assert len(engine.finish()) == 1
    assert engine.finish() == []
