"""Pipes in ``kestrel run``: incremental where they can be, at the end of input otherwise."""

from __future__ import annotations

import pytest

from kestrel_core.detector import Detector
from kestrel_core.errors import ConfigError
from kestrel_core.events.profiles import get_profile
from kestrel_core.plugins import PluginManager
from kestrel_core.rules import Rule
from kestrel_core.state.memory import MemoryStore
from kestrel_eql import compile_query


def detector(text: str, *, input_ends: bool = True, store=None) -> Detector:
    registry = PluginManager().load().registry
    return Detector(
        [Rule("r", "r", compile_query(text, dialect="endgame"))],
        registry.get("predicate_runtime", "python").factory(),
        get_profile("ecs"),
        sequence_engine=registry.get("sequence_engine", "nfa").factory,
        store=store or MemoryStore(),
        input_ends=input_ends,
    )


def events(*users: str):
    schema = get_profile("ecs")
    return [
        schema.normalize({"event": {"category": "process"}, "@timestamp": i, "user": u, "n": i}, i)
        for i, u in enumerate(users)
    ]


def ns(matches) -> list[int]:
    return [m.events[0].record["n"] if m.events else m.aggregates["count"] for m in matches]


def test_filter_unique_and_head_stream() -> None:
    d = detector('process where true | filter user != "x" | unique user | head 2')
    assert ns(d.process(events("a", "x", "a"))) == [0]
    assert ns(d.process(events("b", "c"))) == [0]  # b is new (n restarts per batch here)
    assert ns(d.process(events("d"))) == []  # head 2 reached
    assert ns(d.finish()) == []


def test_unique_keys_live_in_the_store() -> None:
    store = MemoryStore()
    d = detector("process where true | unique user", store=store)
    d.process(events("a", "b", "a"))
    assert store.stats()["rules"]["kestrel:unique:r"]["keys"] == 2


def test_whole_input_pipes_come_out_at_the_end() -> None:
    d = detector("process where true | unique user | count")
    assert d.process(events("a", "b", "a")) == []
    final = d.finish()
    assert [(m.aggregates["count"], m.aggregates["key"]) for m in final] == [(2, "totals")]
    d = detector("process where true | sort user | tail 1")
    assert d.process(events("b", "c", "a")) == []
    assert [m.events[0].record["user"] for m in d.finish()] == ["c"]


@pytest.mark.parametrize("pipe", ["count", "unique_count user", "sort user", "tail 1"])
def test_whole_input_pipes_are_refused_on_an_endless_input(pipe: str) -> None:
    with pytest.raises(ConfigError, match="needs the whole input"):
        detector(f"process where true | {pipe}", input_ends=False)
    detector("process where true | filter true | unique user | head 1", input_ends=False)
