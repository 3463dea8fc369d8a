"""Routing in the wasm runtime: only each event's candidate predicates are evaluated, on only
the events that have any, and the hits equal the unrouted evaluation (and the interpreter)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kestrel_core import ir
from kestrel_core.events.model import Event
from kestrel_core.runtime.interpreter import evaluate
from kestrel_wasm.runtime import WasmPredicates, WasmRuntime
from tests.routing_doubles import FailingRouter, FixedRouter

from .test_semantics import CASES, EVENTS, ev

F, L = ir.Field, ir.Literal



def predicates(conds: Sequence[ir.Expr], category: str | None = None) -> list[ir.Predicate]:
    return [ir.Predicate(i, f"r{i}", 0, category, c) for i, c in enumerate(conds)]


def interpreted(
    preds: Sequence[ir.Predicate], events: Sequence[Event], chosen: Sequence[Sequence[int]]
) -> list[tuple[int, int]]:
    """The interpreter's hits among the chosen candidates."""
    return sorted(
        (e, pid)
        for e, event in enumerate(events)
        for pid in chosen[e]
        if (preds[pid].category is None or preds[pid].category in event.categories)
        and evaluate(preds[pid].condition, event) is True
    )


@pytest.fixture(scope="module")
def cases(runtime: WasmRuntime) -> WasmPredicates:
    """Every semantics case compiled once (wasm, runtime-deferred and host predicates)."""
    return runtime.compile(predicates(CASES), None)


def test_cases_cover_host_and_deferred_predicates(cases: WasmPredicates) -> None:
    assert cases.routing == "on"
    assert cases.generated.host_predicates and cases.generated.wasm_predicates


def test_routed_equals_unrouted_on_the_semantics_events(runtime: WasmRuntime) -> None:
    preds = predicates(CASES)
    routed = runtime.compile(preds, None)
    unrouted = WasmRuntime(cache_dir=runtime.cache_dir, routing=False).compile(preds, None)
    assert unrouted.planner is None
    assert routed.evaluate(EVENTS) == unrouted.evaluate(EVENTS)
    assert routed.stats()["routing_faults"] == 0, routed.stats()["routing"]
    assert routed.stats()["predicates_evaluated"] <= unrouted.stats()["predicates_evaluated"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_candidates_match_the_interpreter(cases: WasmPredicates, data: st.DataObject):
    ids = st.lists(st.sampled_from(range(len(CASES))), unique=True).map(sorted).map(tuple)
    chosen = [data.draw(ids) for _ in EVENTS]
    assert cases.planner is not None
    cases.planner.router = FixedRouter(chosen)
    assert cases.evaluate(EVENTS) == interpreted(predicates(CASES), EVENTS, chosen)


def test_a_non_candidate_is_not_evaluated(runtime: WasmRuntime) -> None:
    always = ir.Compare("==", F(("a",)), F(("a",)))
    compiled = runtime.compile(predicates([always, always, always]), None)
    events = [ev({"a": "x"}) for _ in range(4)]
    assert compiled.planner is not None
    compiled.planner.router = FixedRouter([(1,), (), (0, 2), (2,)])
    assert compiled.evaluate(events) == [(0, 1), (2, 0), (2, 2), (3, 2)]
    stats = compiled.stats()
    assert stats["predicates_evaluated"] == 4
    assert stats["predicates_per_event"] == 1.0


def test_only_events_with_candidates_are_marshalled(runtime: WasmRuntime) -> None:
    compiled = runtime.compile(predicates([ir.Compare("==", F(("a",)), L("x"))]), None)
    module = compiled.module
    assert module is not None
    seen: list[int] = []
    run = module.evaluate

    def spy(events: Sequence[Event], *args: object) -> object:
        seen.append(len(events))
        return run(events, *args)

    module.evaluate = spy  # type: ignore[method-assign]
    assert compiled.planner is not None
    compiled.planner.router = FixedRouter([(), (0,), (), (0,)])
    events = [ev({"a": "x"}) for _ in range(4)]
    assert compiled.evaluate(events) == [(1, 0), (3, 0)]
    compiled.planner.router = FixedRouter([(), ()])
    assert compiled.evaluate(events[:2]) == []
    assert seen == [2]


def test_host_predicates_run_for_their_candidates_only(runtime: WasmRuntime) -> None:
    between = ir.Call("between", (F(("cmd",)), L("C"), L("-")), True)
    compiled = runtime.compile(predicates([ir.Compare("==", between, L("x"))]), None)
    assert compiled.generated.host_predicates  # case-insensitive between runs on the host
    assert compiled.planner is not None
    compiled.planner.router = FixedRouter([(), (0,), ()])
    events = [ev({"cmd": "cx-"}) for _ in range(3)]
    assert compiled.evaluate(events) == [(1, 0)]
    assert compiled.stats()["host_evaluations"] == 1


def test_deferred_hits_map_back_to_their_events(runtime: WasmRuntime) -> None:
    big = ir.Compare(">", ir.Arith("*", F(("n",)), L(2**40)), L(0))  # overflow defers
    compiled = runtime.compile(predicates([big]), None)
    assert compiled.planner is not None
    compiled.planner.router = FixedRouter([(), (0,), (0,)])
    events = [ev({"n": 2**40}), ev({"n": 2**40}), ev({"n": -(2**40)})]
    assert compiled.evaluate(events) == [(1, 0)]
    assert compiled.stats()["deferred"] == 2


def test_candidates_of_other_categories_are_dropped(runtime: WasmRuntime) -> None:
    compiled = runtime.compile(predicates([L(True)], category="file"), None)
    assert compiled.planner is not None
    compiled.planner.router = FixedRouter([(0,), (0,)])
    assert compiled.evaluate([ev({}), ev({}, ("file",))]) == [(1, 0)]
    assert compiled.stats()["predicates_evaluated"] == 1


def test_a_failing_router_leaves_the_batch_unrouted(runtime: WasmRuntime) -> None:
    compiled = runtime.compile(predicates(CASES), None)
    want = WasmRuntime(cache_dir=runtime.cache_dir, routing=False).compile(predicates(CASES), None)
    assert compiled.planner is not None
    compiled.planner.router = FailingRouter()  # type: ignore[assignment]
    assert compiled.evaluate(EVENTS) == want.evaluate(EVENTS)
    stats = compiled.stats()
    assert stats["routing_faults"] == 1 and "router broke" in stats["routing"]


def test_routing_off_in_the_config() -> None:
    assert WasmRuntime(cache_dir=None, routing="false").routing is False
    assert WasmRuntime(cache_dir=None).routing is True
