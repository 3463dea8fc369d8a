"""The engine's shortcuts change no result: shared, memoized key functions, the single-scalar
key path, and hits skipped while a rule holds no state (also after a restore or evictions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kestrel_core.ir import Compare, Field, Literal
from kestrel_core.rules import Rule
from kestrel_core.state import MemoryStore
from kestrel_core.state.sqlite import SqliteStore
from kestrel_nfa import Match, NfaEngine
from kestrel_nfa.keys import KeyCache, key_function
from kestrel_nfa.plan import SequencePlan, plan_rule
from kestrel_nfa.sequence import SequenceMatcher
from kestrel_nfa.testing import feed, field, make_event, sequence_rule, step

K = field("k")


def keys_of(exprs: list[Any], fields: dict[str, Any]) -> list[tuple[Any, ...]]:
    return key_function(exprs)(make_event(1, fields))


# -- key functions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"k": "a"}, [("a",)]),
        ({"k": 0}, [(0,)]),
        ({"k": False}, [(False,)]),
        ({"k": 1.5}, [(1.5,)]),
        ({}, []),
        ({"k": None}, []),
        ({"k": []}, []),
        ({"k": [None]}, []),
        ({"k": ["b", None, "a", "b"]}, [("a",), ("b",)]),
        ({"k": {"y": 1, "x": [2]}}, [((("x", (2,)), ("y", 1)),)]),
        ({"k": [{"x": 1}, {"x": 1}]}, [((("x", 1),),)]),
    ],
)
def test_one_key(fields: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    assert keys_of([K], fields) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"k": "a"}, [("a",)]),
        ({}, [(None,)]),
        ({"k": [None]}, [(None,)]),
        ({"k": [2, 1]}, [(1,), (2,)]),
    ],
)
def test_one_optional_key(fields: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    assert keys_of([field("k", optional=True)], fields) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"h": "x", "k": 1, "j": True}, [("x", 1, True)]),
        ({"h": "x", "j": True}, []),  # a null key that is not optional excludes the event
        ({"h": "x", "k": 1}, [("x", 1, None)]),  # j is optional
        ({"h": "x", "k": [2, 1], "j": True}, [("x", 1, True), ("x", 2, True)]),
        (
            {"h": ["y", "x"], "k": [1], "j": [False, True]},
            [
                ("x", 1, False),
                ("x", 1, True),
                ("y", 1, False),
                ("y", 1, True),
            ],
        ),
        ({"h": {"a": 1}, "k": 3, "j": [None]}, [((("a", 1),), 3, None)]),
        ({"h": "x", "k": [], "j": True}, []),
    ],
)
def test_several_keys(fields: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    exprs = [field("h"), K, field("j", optional=True)]
    assert keys_of(exprs, fields) == expected


def test_nested_flat_and_mixed_key_lists_read_like_lookup() -> None:
    nested = field("process.entity_id")
    assert keys_of([nested], {"process": {"entity_id": "p"}}) == [("p",)]
    assert keys_of([nested], {"process.entity_id": "p"}) == [("p",)]
    greater = Compare(">", field("n"), Literal(5))
    assert keys_of([nested, greater], {"process": {"entity_id": "p"}, "n": 9}) == [("p", True)]
    assert keys_of([greater, nested], {"n": 9}) == []


def test_a_key_cache_shares_functions_and_computes_once_per_event() -> None:
    cache = KeyCache()
    exprs = [field("h"), K]
    shared = cache.function(exprs)
    assert cache.function(tuple(exprs)) is shared
    assert cache.function([K]) is not shared
    first = make_event(1, {"h": "x", "k": 1})
    cache.begin()
    keys = shared(first)
    assert keys == [("x", 1)] and shared(first) is keys
    cache.begin()
    assert shared(make_event(2, {"h": "y", "k": 2})) == [("y", 2)]


# -- hits skipped while a rule holds no state -----------------------------------------------


def run(rule: Rule, events: list[tuple[Any, ...]], store: Any = None) -> list[Match]:
    """``events``: (time, step indices hit, key) triples, fed in order."""
    engine = NfaEngine([rule], MemoryStore() if store is None else store)
    built = [make_event(t, {"k": k, "_hits": hits}) for t, hits, k in events]
    return feed(engine, built, lambda e: [(rule.id, i) for i in e.fields["_hits"]])


def times(matches: list[Match]) -> list[tuple[int | None, ...]]:
    return [tuple(None if e is None else e.timestamp for e in m.events) for m in matches]


def matcher_of(rule: Rule, store: Any) -> SequenceMatcher:
    plan = plan_rule(rule)
    assert isinstance(plan, SequencePlan)
    return SequenceMatcher(plan, store)


def test_inert_steps_are_those_that_cannot_start_a_partial() -> None:
    rule = sequence_rule(
        "r",
        [step(missing=True), step(), step(missing=True), step(runs=2), step(missing=True)],
        maxspan=10,
        until=step(),
    )
    assert matcher_of(rule, MemoryStore()).inert_steps == {2, 3, 4}
    runs = sequence_rule("r", [step(runs=2), step()])
    assert matcher_of(runs, MemoryStore()).inert_steps == {1}


def test_later_steps_before_any_partial_do_nothing_then_match() -> None:
    rule = sequence_rule("r", [step(), step(), step()], by=[K])
    events = [(1, (1, 2), 1), (2, (2,), 1), (3, (0,), 1), (4, (2,), 1), (5, (1,), 2), (6, (1,), 1)]
    events += [(7, (2,), 1)]
    assert times(run(rule, events)) == [(3, 6, 7)]


def test_a_rule_holding_no_state_still_starts_and_discards_on_one_event() -> None:
    rule = sequence_rule(
        "r",
        [step(), step(missing=True), step(), step(missing=True)],
        by=[K],
        maxspan=10,
        until=step(),
    )
    # step 0 and until on one event: the new partial is discarded at once
    assert run(rule, [(1, (0, 4), 1), (2, (2,), 1)]) == []
    # step 0 with the gap and trailing steps on one event: neither blocks the new partial
    assert times(run(rule, [(1, (0, 1, 3), 1), (2, (2,), 1)])) == [(1, None, 2, None)]


def test_held_keys_follow_completions_and_expiry() -> None:
    store = MemoryStore()
    rule = sequence_rule("r", [step(), step()], by=[K], maxspan=10)
    engine = NfaEngine([rule], store)
    for t, hits, k in [(0, [0], 1), (0, [0], 2), (1, [1], 1)]:
        engine.process(make_event(t, {"k": k}), [("r", s) for s in hits])
    matcher = engine._matchers["r"]
    assert isinstance(matcher, SequenceMatcher) and matcher.held == 1
    engine.process(make_event(11, {"k": 3}), [])  # time passes 0 + 10: key 2 expires
    assert matcher.held == 0 and store.stats()["keys"] == 0


def test_keys_evicted_by_the_quota_do_not_stop_later_partials() -> None:
    rule = sequence_rule("r", [step(), step()], by=[K])
    events = [(1, (0,), 1), (2, (0,), 2), (3, (1,), 1), (4, (1,), 2), (5, (0,), 3), (6, (1,), 3)]
    assert times(run(rule, events, MemoryStore(max_partials_per_rule=1))) == [(2, 4), (5, 6)]


def test_partials_of_a_store_restored_before_the_engine_advance(tmp_path: Path) -> None:
    rule = sequence_rule("r", [step(), step(missing=True), step()], by=[K], maxspan=10)
    db = str(tmp_path / "state.db")
    first = SqliteStore(db)
    engine = NfaEngine([rule], first)
    engine.process(make_event(1, {"k": 1}), [("r", 0)])
    first.checkpoint({"at": 1})
    first.close()

    again = SqliteStore(db)
    assert again.restore() == {"at": 1}
    engine = NfaEngine([rule], again)
    assert engine.process(make_event(2, {"k": 2}), [("r", 1)]) == []
    matches = engine.process(make_event(3, {"k": 1}), [("r", 2)])
    assert times(matches) == [(1, None, 3)]
    again.close()


def test_a_field_key_is_read_through_its_compiled_getter() -> None:
    rule = sequence_rule("r", [step(), step()], by=[Field(("a", 0))])
    events = [make_event(1, {"a": ["x"]}), make_event(2, {"a": ["x", "y"]})]
    matches = feed(NfaEngine([rule], MemoryStore()), events, lambda e: [("r", e.timestamp - 1)])
    assert [m.join_keys for m in matches] == [("x",)]


def _mixed_rules() -> list[Rule]:
    return [
        sequence_rule("gap", [step(), step(missing=True), step()], by=[K], maxspan=5),
        sequence_rule("tail", [step(), step(missing=True)], by=[K], maxspan=3),
        sequence_rule("plain", [step(), step(), step()], by=[K], until=step()),
    ]


@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # time advances by
            st.integers(0, 2),  # key
            st.lists(st.tuples(st.sampled_from(["gap", "tail", "plain"]), st.integers(0, 3))),
        ),
        max_size=40,
    ),
    st.integers(1, 7),
)
@settings(max_examples=150, deadline=None)
def test_process_batch_is_process_per_event(
    script: list[tuple[int, int, list[tuple[str, int]]]], batch: int
) -> None:
    """The detector's one call per batch gives what one call per event gives, at the same
    events, with events that have no hits shown too (they advance event time)."""
    rules = _mixed_rules()
    steps = {r.id: len(r.query.steps()) for r in rules}  # type: ignore[union-attr]
    events, hits, t = [], [], 0
    for n, (dt, k, event_hits) in enumerate(script):
        t += dt
        events.append(make_event(t, {"k": k}, seq=n))
        hits.append(sorted({h for h in event_hits if h[1] < steps[h[0]]}))
    one = NfaEngine(rules, MemoryStore())
    expected = [(i, m) for i, e in enumerate(events) for m in one.process(e, hits[i])]
    expected_end = one.finish()
    other = NfaEngine(rules, MemoryStore())
    got = []
    for start in range(0, len(events), batch):
        pairs = other.process_batch(events[start : start + batch], hits[start : start + batch])
        got += [(start + i, m) for i, m in pairs]
    assert got == expected
    assert other.finish() == expected_end
