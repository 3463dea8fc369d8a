"""Hand-written sequence cases: maxspan, until, runs, missing events, keys, arrival order."""

from __future__ import annotations

from typing import Any

from kestrel_core.ir import Compare, Literal
from kestrel_core.rules import Rule
from kestrel_core.state import MemoryStore
from kestrel_nfa import Match, NfaEngine
from kestrel_nfa.testing import feed, field, make_event, sequence_rule, step

K = field("k")


def run(rule: Rule, events: list[tuple[Any, ...]], **store: Any) -> tuple[list[Match], NfaEngine]:
    """``events``: (time, step indices hit, fields) triples, fed in the given order."""
    engine = NfaEngine([rule], MemoryStore(**store))
    built = [make_event(t, {"k": 1, **(fields or {}), "_hits": hits}) for t, hits, fields in events]
    matches = feed(engine, built, lambda e: [(rule.id, i) for i in e.fields["_hits"]])
    return matches, engine


def times(matches: list[Match]) -> list[tuple[int | None, ...]]:
    return [tuple(None if e is None else e.timestamp for e in m.events) for m in matches]


def ev(t: int | None, *hits: int, **fields: Any) -> tuple[Any, ...]:
    return (t, hits, fields)


# -- maxspan -------------------------------------------------------------------------------


def test_maxspan_is_inclusive_from_the_first_event() -> None:
    rule = sequence_rule("r", [step(), step(), step()], maxspan=10)
    matches, _ = run(rule, [ev(0, 0), ev(5, 1), ev(10, 2)])
    assert times(matches) == [(0, 5, 10)]
    matches, engine = run(rule, [ev(0, 0), ev(5, 1), ev(11, 2)])
    assert matches == []
    assert engine.stats()["rules"]["r"]["expired"] == 1  # dropped as event time passed 0 + 10


def test_expiry_drops_partials_when_event_time_passes() -> None:
    rule = sequence_rule("r", [step(), step()], by=[K], maxspan=10)
    matches, engine = run(rule, [ev(0, 0, k=1), ev(0, 0, k=2), ev(11, 0, k=3)])
    assert matches == []
    stats = engine.stats()["rules"]["r"]
    assert stats["expired"] == 2 and stats["expirations"] == 2
    assert stats["partials"] == 1 and stats["keys"] == 1


# -- newest partial wins, one event completes one and starts another ------------------------


def test_newer_partial_replaces_older_and_an_event_can_complete_and_start() -> None:
    rule = sequence_rule("r", [step(), step()])
    matches, engine = run(rule, [ev(1, 0), ev(2, 0), ev(3, 0, 1), ev(4, 1)])
    assert times(matches) == [(2, 3), (3, 4)]
    assert engine.stats()["rules"]["r"]["replaced"] == 1


# -- until ----------------------------------------------------------------------------------


def test_until_discards_the_keys_partials() -> None:
    rule = sequence_rule("r", [step(), step()], by=[K], until=step())
    events = [ev(1, 0, k=1), ev(1, 0, k=2), ev(2, 2, k=1), ev(3, 1, k=1), ev(3, 1, k=2)]
    matches, engine = run(rule, events)
    assert times(matches) == [(1, 3)]
    assert matches[0].join_keys == (2,)
    assert engine.stats()["rules"]["r"]["rejected_until"] == 1


def test_an_event_that_completes_and_is_an_until_event_completes() -> None:
    rule = sequence_rule("r", [step(), step()], until=step())
    matches, _ = run(rule, [ev(1, 0), ev(2, 1, 2)])
    assert times(matches) == [(1, 2)]


def test_an_event_that_starts_and_is_an_until_event_is_discarded() -> None:
    rule = sequence_rule("r", [step(), step()], until=step())
    matches, _ = run(rule, [ev(1, 0, 2), ev(2, 1)])
    assert matches == []


# -- runs -----------------------------------------------------------------------------------


def test_runs_repeat_a_step_with_consecutive_events_of_the_key() -> None:
    rule = sequence_rule("r", [step(runs=3), step()], by=[K])
    events = [ev(1, 0), ev(2, 0), ev(3, 0, k=2), ev(4, 1), ev(5, 0), ev(6, 1)]
    matches, _ = run(rule, events)
    assert times(matches) == [(1, 2, 5, 6)]
    assert len(matches[0].events) == 4


# -- missing events -------------------------------------------------------------------------


def test_missing_in_the_middle_blocks_only_inside_its_gap() -> None:
    rule = sequence_rule("r", [step(), step(missing=True), step()], maxspan=100)
    matches, engine = run(rule, [ev(1, 0), ev(2, 1), ev(3, 2), ev(4, 0), ev(5, 2)])
    assert times(matches) == [(4, None, 5)]
    assert engine.stats()["rules"]["r"]["rejected_missing"] == 1


def test_missing_event_at_the_same_time_as_a_positive_one_does_not_count() -> None:
    rule = sequence_rule("r", [step(), step(missing=True), step()], maxspan=100)
    matches, _ = run(rule, [ev(1, 0), ev(1, 1), ev(2, 1), ev(3, 2)])
    assert matches == []  # 2 is strictly between 1 and 3
    matches, _ = run(rule, [ev(1, 0), ev(1, 1), ev(3, 1), ev(3, 2)])
    assert times(matches) == [(1, None, 3)]


def test_leading_missing_event_needs_more_than_maxspan_before_the_last_event() -> None:
    rule = sequence_rule("r", [step(missing=True), step()], maxspan=10)
    matches, _ = run(rule, [ev(0, 0), ev(10, 1), ev(11, 1), ev(30, 1)])
    assert times(matches) == [(None, 11), (None, 30)]


def test_trailing_missing_resolves_at_maxspan_or_end_of_input() -> None:
    rule = sequence_rule("r", [step(), step(missing=True)], by=[K], maxspan=10)
    engine = NfaEngine([rule], MemoryStore())
    assert engine.needs_all_events
    first = engine.process(make_event(0, {"k": 1}), [("r", 0)])
    blocked = engine.process(make_event(0, {"k": 2}), [("r", 0)])
    assert first == blocked == []
    assert engine.process(make_event(10, {"k": 2}), [("r", 1)]) == []  # within maxspan: rejected
    accepted = engine.process(make_event(11, {"k": 9}), [])  # time passes 0 + 10
    assert times(accepted) == [(0, None)] and accepted[0].join_keys == (1,)
    engine.process(make_event(20, {"k": 3}), [("r", 0)])
    assert times(engine.finish()) == [(20, None)]
    stats = engine.stats()["rules"]["r"]
    assert stats["completed"] == 2 and stats["rejected_missing"] == 1


def test_trailing_missing_event_after_maxspan_does_not_block() -> None:
    rule = sequence_rule("r", [step(), step(missing=True)], maxspan=10)
    engine = NfaEngine([rule], MemoryStore())
    engine.process(make_event(0), [("r", 0)])
    assert times(engine.process(make_event(11), [("r", 1)])) == [(0, None)]


def test_leading_and_trailing_missing_events_bound_a_window() -> None:
    rule = sequence_rule("r", [step(missing=True), step(), step(missing=True)], maxspan=10)
    matches, _ = run(rule, [ev(0, 0), ev(5, 1), ev(11, 2), ev(12, 1), ev(30, 1)])
    # 5: L=0, T=11 -> 11 > 10 accepted; 12: L=0, T none; 30: L=0, T none
    assert times(matches) == [(None, 5, None), (None, 12, None), (None, 30, None)]
    matches, _ = run(rule, [ev(1, 0), ev(5, 1), ev(11, 2)])
    assert matches == []


# -- keys -----------------------------------------------------------------------------------


def test_null_keys_exclude_the_event_unless_the_key_is_optional() -> None:
    strict = sequence_rule("r", [step(), step()], by=[K])
    events = [ev(1, 0, k=None), ev(2, 1, k=None)]
    assert run(strict, events)[0] == []
    optional = sequence_rule("r", [step(), step()], by=[field("k", optional=True)])
    matches, _ = run(optional, events)
    assert times(matches) == [(1, 2)] and matches[0].join_keys == (None,)
    matches, _ = run(optional, [ev(1, 0, k=[None]), ev(2, 1, k=[])])
    assert matches[0].join_keys == (None,)


def test_multi_valued_keys_join_on_any_element() -> None:
    rule = sequence_rule("r", [step(), step()], by=[K, field("j")])
    events = [ev(1, 0, k=["b", "a", "a", None], j=[1, 2]), ev(2, 1, k=["a", "c", "b"], j=2)]
    matches, _ = run(rule, events)
    assert [m.join_keys for m in matches] == [("a", 2), ("b", 2)]
    assert run(rule, [ev(1, 0, k=[None], j=1), ev(2, 1, k=[None], j=1)])[0] == []


def test_keys_align_positionally_across_steps() -> None:
    rule = sequence_rule(
        "r", [step(keys=[field("user")]), step(keys=[field("owner")])], by=[field("host")]
    )
    events = [
        ev(1, 0, host="h", user="u"),
        ev(2, 1, host="h", owner="x"),
        ev(3, 1, host="h", owner="u"),
    ]
    matches, _ = run(rule, events)
    assert times(matches) == [(1, 3)] and matches[0].join_keys == ("h", "u")


def test_non_field_keys_go_through_the_interpreter() -> None:
    key = Compare(">", field("n"), Literal(5))
    rule = sequence_rule("r", [step(keys=[key]), step(keys=[key])])
    matches, _ = run(rule, [ev(1, 0, n=9), ev(2, 1, n=1), ev(3, 1, n=7)])
    assert times(matches) == [(1, 3)] and matches[0].join_keys == (True,)


# -- arrival order ---------------------------------------------------------------------------


def test_an_older_event_does_not_extend_or_replace_a_newer_partial() -> None:
    rule = sequence_rule("r", [step(), step()])
    matches, engine = run(rule, [ev(5, 0), ev(3, 1), ev(4, 0), ev(6, 1)])
    assert times(matches) == [(5, 6)]
    assert engine.stats()["rules"]["r"]["out_of_order"] == 2


def test_equal_timestamps_follow_arrival_order() -> None:
    rule = sequence_rule("r", [step(), step()])
    assert times(run(rule, [ev(5, 0), ev(5, 1)])[0]) == [(5, 5)]
    assert run(rule, [ev(5, 1), ev(5, 0)])[0] == []


def test_events_without_time_join_only_without_maxspan() -> None:
    plain = sequence_rule("r", [step(), step()])
    assert times(run(plain, [ev(None, 0), ev(None, 1)])[0]) == [(None, None)]
    spanned = sequence_rule("r", [step(), step()], maxspan=10)
    assert run(spanned, [ev(None, 0), ev(None, 1)])[0] == []


def test_matches_carry_the_original_records_and_the_last_event() -> None:
    rule = sequence_rule("r", [step(), step(missing=True), step()], maxspan=10)
    matches, _ = run(rule, [ev(1, 0, x="a"), ev(2, 2, x="b")])
    (match,) = matches
    assert [e.record["x"] if e else None for e in match.events] == ["a", None, "b"]
    assert match.last_event is match.events[2]


def test_event_rules_are_ignored() -> None:
    from kestrel_core.ir import TRUE, EventQuery, Query

    rule = Rule(id="e", name="e", query=Query(EventQuery("process", TRUE)))
    engine = NfaEngine([rule], MemoryStore())
    assert engine.rule_ids == []
    assert engine.process(make_event(1), [("e", 0)]) == []
