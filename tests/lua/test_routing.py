"""Routing in the lua runtime: only each event's candidate predicates are evaluated, on only the
events that have any, and the hits equal the unrouted evaluation (and the interpreter)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kestrel_core import ir
from kestrel_core.events.model import Event
from kestrel_core.runtime.interpreter import matches
from kestrel_lua.runtime import CompiledLua, LuaRuntime
from tests.routing_doubles import FailingRouter, FixedRouter

from .conftest import event, package_predicates
from .test_semantics import CASES, EVENTS

F, L = ir.Field, ir.Literal
EXAMPLE_EVENTS = [*EVENTS, event(("process",), 1700000000123456789, x=1)]



def predicates(conds: Sequence[ir.Expr], category: str | None = "process") -> list[ir.Predicate]:
    return [ir.Predicate(i, f"r{i}", 0, category, c) for i, c in enumerate(conds)]


def interpreted(
    preds: Sequence[ir.Predicate], events: Sequence[Event], chosen: Sequence[Sequence[int]]
) -> list[tuple[int, int]]:
    """The interpreter's hits among the chosen candidates."""
    return sorted(
        (e, pid)
        for e, ev in enumerate(events)
        for pid in chosen[e]
        if (preds[pid].category is None or preds[pid].category in ev.categories)
        and matches(preds[pid].condition, ev)
    )


def routed(compiled: CompiledLua, router: object) -> None:
    """Give the compiled set's planner ``router``."""
    assert compiled.eql.planner is not None
    compiled.eql.planner.router = router  # type: ignore[assignment]


@pytest.fixture(scope="module")
def cases() -> CompiledLua:
    """Every semantics case compiled once."""
    return LuaRuntime().compile(predicates(CASES), None)


def test_routed_equals_unrouted_on_the_semantics_events() -> None:
    preds = predicates(CASES)
    compiled = LuaRuntime().compile(preds, None)
    unrouted = LuaRuntime(routing=False).compile(preds, None)
    assert compiled.eql.planner is not None and unrouted.eql.planner is None
    assert compiled.evaluate(EXAMPLE_EVENTS) == unrouted.evaluate(EXAMPLE_EVENTS)
    stats = compiled.stats()
    assert stats["routing"] == "on" and stats["routing_faults"] == 0, stats["routing"]
    assert stats["faults"] == 0, stats["last_fault"]
    assert stats["predicates_evaluated"] <= unrouted.stats()["predicates_evaluated"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_candidates_match_the_interpreter(cases: CompiledLua, data: st.DataObject):
    ids = st.lists(st.sampled_from(range(len(CASES))), unique=True).map(sorted).map(tuple)
    chosen = [data.draw(ids) for _ in EXAMPLE_EVENTS]
    routed(cases, FixedRouter(chosen))
    assert cases.evaluate(EXAMPLE_EVENTS) == interpreted(predicates(CASES), EXAMPLE_EVENTS, chosen)


def test_a_non_candidate_is_not_evaluated() -> None:
    always = ir.Compare("==", F(("x",)), F(("x",)))
    compiled = LuaRuntime().compile(predicates([always, always, always]), None)
    routed(compiled, FixedRouter([(1,), (), (0, 2), (2,)]))
    events = [event(x=1) for _ in range(4)]
    assert compiled.evaluate(events) == [(0, 1), (2, 0), (2, 2), (3, 2)]
    stats = compiled.stats()
    assert stats["predicates_evaluated"] == 4
    assert stats["predicates_per_event"] == 1.0


def test_fields_are_read_for_events_with_candidates_only() -> None:
    read: list[int] = []

    class Spy(dict):
        """Fields that note which event they belong to whenever they are read."""

        def get(self, key: object, default: object = None) -> object:
            read.append(super().get("n"))
            return super().get(key, default)

        def __getitem__(self, key: object) -> object:
            read.append(super().get("n"))
            return super().__getitem__(key)

        def __contains__(self, key: object) -> bool:
            read.append(super().get("n"))
            return super().__contains__(key)

    compiled = LuaRuntime().compile(predicates([ir.Compare("==", F(("x",)), L(1))]), None)
    routed(compiled, FixedRouter([(), (0,), ()]))
    events = [Event(("process",), None, None, Spy(x=1, n=n), None) for n in range(3)]
    assert compiled.evaluate(events) == [(1, 0)]
    assert set(read) == {1}


def test_a_faulting_predicate_is_charged_once_per_batch() -> None:
    boom = ir.Compare("==", ir.Call("number", (F(("s",)), L(99))), L(1))  # bad base: host error
    ok = ir.Compare("==", F(("x",)), L(1))
    compiled = LuaRuntime(max_faults=5).compile(predicates([boom, ok]), None)
    unrouted = LuaRuntime(max_faults=5, routing=False).compile(predicates([boom, ok]), None)
    events = [event(x=1, s="1") for _ in range(3)]
    routed(compiled, FixedRouter([(0, 1)] * 3))
    assert compiled.evaluate(events) == unrouted.evaluate(events) == [(0, 1), (1, 1), (2, 1)]
    assert compiled.stats()["faults_by_predicate"] == unrouted.stats()["faults_by_predicate"]


def test_quarantined_predicates_are_skipped() -> None:
    compiled = LuaRuntime().compile(predicates([L(True), L(True)]), None)
    routed(compiled, FixedRouter([(0, 1)]))
    compiled._quarantine(0)
    assert compiled.evaluate([event()]) == [(0, 1)]


def test_packages_still_run_on_their_category(make_package) -> None:
    pkg = make_package(
        "p", 'function pred_eval(ev) return kestrel.event_get_str(ev, "name") == "a" end'
    )
    extra = [("r", ir.Query(ir.EventQuery("process", L(True))))]
    compiled = LuaRuntime().compile(package_predicates([pkg], extra), None)
    routed(compiled, FixedRouter([(), ()]))  # the router sees the IR predicate only
    events = [event(name="a"), event(name="b")]
    assert compiled.evaluate(events) == [(0, 0)]
    assert compiled.stats()["predicates_evaluated"] == 2  # the package, on both events


def test_a_failing_router_leaves_the_batch_unrouted() -> None:
    compiled = LuaRuntime().compile(predicates(CASES), None)
    want = LuaRuntime(routing=False).compile(predicates(CASES), None)
    routed(compiled, FailingRouter())
    assert compiled.evaluate(EXAMPLE_EVENTS) == want.evaluate(EXAMPLE_EVENTS)
    stats = compiled.stats()
    assert stats["routing_faults"] == 1 and "router broke" in stats["routing"]
