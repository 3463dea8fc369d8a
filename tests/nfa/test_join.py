"""Endgame ``join``: unordered, first event per step, ``until`` discards (one line per case).

Events are written ``a1``: category ``a``, time 1; all share the key unless a ``/k`` suffix
names another.
"""

from __future__ import annotations

import pytest

from kestrel_core.detector import Detector
from kestrel_core.events.profiles import get_profile
from kestrel_core.plugins import PluginManager
from kestrel_core.rules import Rule
from kestrel_core.state.memory import MemoryStore
from kestrel_eql import compile_query

QUERY = "join by k [a where true] [b where true] [c where true]"
UNTIL = "join by k [a where true] [b where true] until [u where true]"


def run(text: str, tape: str, store: MemoryStore | None = None) -> list[str]:
    registry = PluginManager().load().registry
    schema = get_profile("ecs")
    records = []
    for i, token in enumerate(tape.split()):
        name, _, key = token.partition("/")
        records.append({"event": {"category": name[0]}, "@timestamp": int(name[1:]),
                        "k": key or "x", "id": token, "i": i})  # fmt: skip
    events = [schema.normalize(r, seq=r["i"]) for r in records]
    detector = Detector(
        [Rule("j", "j", compile_query(text, dialect="endgame"))],
        registry.get("predicate_runtime", "python").factory(),
        schema,
        sequence_engine=registry.get("sequence_engine", "nfa").factory,
        store=store or MemoryStore(),
    )
    out = [" ".join(e.record["id"] for e in m.events) for m in detector.process(events)]
    return out + [" ".join(e.record["id"] for e in m.events) for m in detector.finish()]


CASES = [
    (QUERY, "a1 b2 c3", ["a1 b2 c3"]),
    (QUERY, "c1 b2 a3", ["a3 b2 c1"]),  # any order; events in step order
    (QUERY, "a1 a2 b3 c4", ["a1 b3 c4"]),  # the first event per step is kept
    (QUERY, "a1 b2 c3 a4 b5 c6", ["a1 b2 c3", "a4 b5 c6"]),  # a completed key starts afresh
    (QUERY, "a1/x b2/y c3/x b4/x", ["a1/x b4/x c3/x"]),  # per key
    (QUERY, "a1 b2", []),  # incomplete joins give nothing
    (UNTIL, "a1 u2 b3", []),
    (UNTIL, "a1 u2 a3 b4", ["a3 b4"]),
    (UNTIL, "a1 u2/y b3", ["a1 b3"]),  # until of another key
]


@pytest.mark.parametrize(("text", "tape", "expected"), CASES, ids=[c[1] for c in CASES])
def test_join(text: str, tape: str, expected: list[str]) -> None:
    assert run(text, tape) == expected


def test_join_state_is_bounded_by_the_store_quota() -> None:
    store = MemoryStore(max_partials_per_rule=10)
    tape = " ".join(f"a{i}/k{i}" for i in range(100)) + " b200/k99 b201/k0"
    assert run(QUERY.replace(" [c where true]", ""), tape, store) == ["a99/k99 b200/k99"]
    assert store.stats()["rules"]["j"]["evictions"] == 90


def test_join_without_keys() -> None:
    assert run("join [a where true] [b where true]", "b1 a2") == ["a2 b1"]
