"""The detector's matches per batch: event rules' and sequences' matches in event order (per
event, event rules first), the same whatever the batch size and whether the sequence engine
takes a whole batch in one call (``process_batch``) or one event per call."""

from __future__ import annotations

from typing import Any

import pytest

from kestrel_core.detector import Detector
from kestrel_core.events.profiles import get_profile
from kestrel_core.plugins import PluginManager
from kestrel_core.rules import Rule
from kestrel_core.state.memory import MemoryStore
from kestrel_eql import compile_query

RULES = {
    "any-b": 'b where true',
    "a-then-b": "sequence by k with maxspan=5s [a where true] [b where true]",
    "a-no-c": "sequence by k with maxspan=3s [a where true] ![c where true]",
    "a-c": "sequence by k [a where true] [c where true]",
}
TAPE = "a1/x b2/x a2/y c3/y b4/y a6/x b7/x c7/x a8/y b9/x b20/y c21/x"
#: Long stretches where no sequence holds a partial (maxspan and until close them).
IDLE_TAPE = "b1/x c2/x b3/y a4/x b5/x c6/x b20/x b21/y c22/x b23/x a24/y b25/y b40/y c41/y"


class PerEventOnly:
    """The nfa engine seen through ``process`` alone (a third-party engine without
    ``process_batch``)."""

    def __init__(self, rules: Any, store: Any, **options: Any) -> None:
        from kestrel_nfa import NfaEngine

        self._engine = NfaEngine(rules, store, **options)
        self.needs_all_events = self._engine.needs_all_events

    def process(self, event: Any, hits: Any) -> Any:
        return self._engine.process(event, hits)

    def finish(self) -> Any:
        return self._engine.finish()

    def stats(self) -> Any:
        return self._engine.stats()


def run(rules: list[str], batch: int, engine: Any) -> list[str]:
    registry = PluginManager().load().registry
    schema = get_profile("ecs")
    records = []
    for i, token in enumerate(TAPE.split()):
        name, _, key = token.partition("/")
        records.append({"event": {"category": name[0]}, "@timestamp": int(name[1:]) * 1000,
                        "k": key, "id": token, "i": i})  # fmt: skip
    events = [schema.normalize(r, seq=r["i"]) for r in records]
    detector = Detector(
        [Rule(r, r, compile_query(RULES[r])) for r in rules],
        registry.get("predicate_runtime", "python").factory(),
        schema,
        sequence_engine=engine or registry.get("sequence_engine", "nfa").factory,
        store=MemoryStore(),
    )
    out = []
    for start in range(0, len(events), batch):
        out += detector.process(events[start : start + batch])
    out += detector.finish()
    return [
        f"{m.rule_id}@{m.emitted_seq}:" + " ".join(e.record["id"] if e else "-" for e in m.events)
        for m in out
    ]


@pytest.mark.parametrize("rules", [list(RULES), ["any-b", "a-then-b", "a-c"]])
def test_same_matches_whatever_the_batch_and_the_engine_call(rules: list[str]) -> None:
    expected = run(rules, 1, None)
    assert "any-b@1:b2/x" in expected and "a-then-b@1:a1/x b2/x" in expected
    # per event, the event rule's match comes before the sequence's
    assert expected.index("any-b@1:b2/x") < expected.index("a-then-b@1:a1/x b2/x")
    for batch in (2, 5, 64):
        assert run(rules, batch, None) == expected
        assert run(rules, batch, PerEventOnly) == expected


def test_trailing_missing_events_close_on_event_time() -> None:
    got = run(list(RULES), 64, None)
    # a1/x is followed by no c/x within 3 s: the window closes when a6 brings time 6
    assert "a-no-c@5:a1/x -" in got
    # a2/y has c3/y within 3 s: no match
    assert not any(m.startswith("a-no-c") and "a2/y" in m for m in got)


@pytest.mark.parametrize("runtime", ["python", "wasm", "lua"])
def test_idle_sequence_steps_are_skipped_and_found_again_when_a_sequence_starts(
    runtime: str,
) -> None:
    """Later steps of a sequence holding no partial are not evaluated; when the batch starts
    one, they are evaluated over the events after it: the matches equal those without skipping,
    whatever the batch."""
    registry = PluginManager().load().registry
    schema = get_profile("ecs")
    records = [
        {"event": {"category": name[0]}, "@timestamp": int(name[1:].split("/")[0]) * 1000,
         "k": token.partition("/")[2], "id": token, "i": i}
        for i, token in enumerate(IDLE_TAPE.split()) for name in [token]
    ]  # fmt: skip
    events = [schema.normalize(r, seq=r["i"]) for r in records]

    def matches(batch: int, skipping: bool) -> tuple[list[str], dict]:
        detector = Detector(
            [Rule(r, r, compile_query(RULES[r])) for r in RULES],
            registry.get("predicate_runtime", runtime).factory(),
            schema,
            sequence_engine=registry.get("sequence_engine", "nfa").factory,
            store=MemoryStore(),
        )
        assert detector._skipping is not None
        if not skipping:
            detector._skipping = None
        out = []
        for start in range(0, len(events), batch):
            out += detector.process(events[start : start + batch])
        out += detector.finish()
        found = [f"{m.rule_id}@{m.emitted_seq}" for m in out]
        return found, detector.compiled[0][0].stats()

    expected, plain = matches(64, False)
    assert any(m.startswith("a-then-b") for m in expected)
    for batch in (1, 3, 64):
        got, stats = matches(batch, True)
        assert got == expected
        assert stats["predicates_evaluated"] < plain["predicates_evaluated"]
    if runtime == "python":
        assert matches(64, True)[1]["rescanned_events"] > 0
