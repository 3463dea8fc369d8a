"""Process lineage on synthetic process trees: every profile, every runtime, the edge cases."""

from __future__ import annotations

import pytest

from kestrel_core.lineage import LINEAGE_RULE
from kestrel_core.state.memory import MemoryStore
from kestrel_core.state.sqlite import SqliteStore
from tests.lineage.conftest import FIELDS, Tree, detect


def queries(profile: str) -> dict[str, str]:
    name, file = FIELDS[profile]
    return {
        "descendant": f'process where {name} == "leaf" and descendant of '
        f'[process where {name} == "root"]',
        "child": f'process where child of [process where {name} == "root"]',
        "event": f'file where {file} == "x" and event of [process where {name} == "root"]',
        "not_descendant": f'process where {name} == "leaf" and not descendant of '
        f'[process where {name} == "root"]',
    }


def names(records: list[dict], profile: str) -> list[str]:
    key = {"endgame": "process_name", "sysmon": "Image"}.get(profile)
    if key is None:
        return [r["process"].get("name", "?") for r in records]
    return [r.get(key, "?") for r in records]


@pytest.mark.parametrize("runtime", ["python", "wasm", "lua"])
def test_relations_in_every_profile_and_runtime(profile: str, runtime: str) -> None:
    t = Tree(profile)
    t.start("r", "boot", "root")
    t.start("c", "r", "mid")
    t.start("g", "c", "leaf")  # grandchild of root: a descendant, not a child
    t.start("o", "boot", "leaf")  # not under root
    t.file("r", "x")  # root's own file event: event of
    t.file("o", "x")
    got = detect(profile, queries(profile), t.records, runtime=runtime, batch=2)
    assert names(got["descendant"], profile) == ["leaf"]
    assert got["descendant"][0] is t.records[2]
    assert got["child"] == [t.records[1]]
    assert got["event"] == [t.records[4]]
    assert got["not_descendant"] == [t.records[3]]


def test_deep_chain(profile: str) -> None:
    t = Tree(profile)
    t.start("p0", "boot", "root")
    for depth in range(1, 3000):
        t.start(f"p{depth}", f"p{depth - 1}", "mid")
    t.start("end", "p2999", "leaf")
    got = detect(profile, queries(profile), t.records, batch=1024)
    assert got["descendant"] == [t.records[-1]]
    assert len(got["child"]) == 1


def test_reused_pids_with_distinct_entity_ids() -> None:
    # Endgame: pid 100 is reused; unique_pid tells the two processes apart.
    t = Tree("endgame")
    t.start("u1", "boot", "root")
    first = t.start("u2", "u1", "leaf")
    first["pid"] = 100
    t.end("u2")
    second = t.start("u3", "boot", "leaf")  # same pid, another process, not under root
    second["pid"] = 100
    got = detect("endgame", queries("endgame"), t.records)
    assert got["descendant"] == [first]
    assert got["not_descendant"] == [second]


def test_a_parent_that_exits_before_its_child_acts() -> None:
    t = Tree("endgame")
    t.start("r", "boot", "root")
    t.start("c", "r", "mid")
    t.end("r")
    t.end("r")  # duplicate end events are harmless
    leaf = t.start("g", "c", "leaf")
    late_file = t.file("c", "x")
    got = detect("endgame", queries("endgame"), t.records)
    assert got["descendant"] == [leaf]
    assert got["event"] == []  # mid never matched the inner query
    assert late_file not in got["event"]


def test_marks_are_handed_down_at_start_only() -> None:
    # Endgame semantics: a process that becomes a source after its child started does not
    # make that child a descendant.
    t = Tree("endgame")
    t.start("p", "boot", "mid")
    t.start("c", "p", "leaf")
    t.file("p", "x")
    got = detect("endgame", {"q": 'process where descendant of [file where file_name == "x"]'},
                 [*t.records, Tree("endgame").start("z", "p", "leaf")])  # fmt: skip
    assert [r["unique_pid"] for r in got["q"]] == ["z"]


def test_nested_lineage() -> None:
    t = Tree("endgame")
    t.start("a", "boot", "powershell.exe")
    t.start("b", "a", "child")
    t.file("b", "evil.exe")
    t.file("a", "evil.exe")
    query = (
        'file where file_name == "*.exe" and event of '
        '[process where child of [process where process_name == "powershell.exe"]]'
    )
    got = detect("endgame", {"q": query}, t.records, dialect="endgame")
    assert got["q"] == [t.records[2]]


def test_lineage_in_sequences() -> None:
    t = Tree("endgame")
    t.start("w", "boot", "wmiprvse.exe")
    t.start("c", "w", "cmd.exe")
    t.file("c", "out.txt")
    t.start("d", "boot", "cmd.exe")
    t.file("d", "out.txt")
    query = (
        'sequence by unique_pid [process where process_name == "cmd.exe" and '
        'descendant of [process where process_name == "wmiprvse.exe"]] '
        '[file where file_name == "*.txt"]'
    )
    from kestrel_core.detector import Detector  # noqa: F401  (the helper drives it)

    got = detect("endgame", {"q": query}, t.records, dialect="endgame")
    assert got["q"] == [t.records[1]]


def test_a_tree_larger_than_the_quota_stays_bounded() -> None:
    store = MemoryStore(max_partials_per_rule=500)
    t = Tree("endgame")
    t.start("p0", "boot", "root")
    for i in range(1, 5000):
        t.start(f"p{i}", f"p{i - 1}", "mid")  # one deep chain: every process descends from root
    t.start("leaf1", "p4999", "leaf")
    for i in range(5000, 6000):  # a wide fan-out under an evicted ancestor
        t.start(f"p{i}", "p10", "mid")
    leaf2 = t.start("leaf2", "p5999", "leaf")
    got = detect("endgame", queries("endgame"), t.records, store=store, batch=1000)
    held = store.stats()["rules"][LINEAGE_RULE]
    assert held["keys"] <= 500
    assert held["evictions"] > 5000
    assert held["processes_started"] == 6002
    # The chain's marks were handed down at start, so evicting ancestors loses nothing...
    assert t.records[5000] in got["descendant"]
    # ...but a process whose parent was evicted before it started is an orphan.
    assert leaf2 not in got["descendant"]
    stats = detect.last.runtime_stats()["lineage"]  # type: ignore[attr-defined]
    assert stats["processes"] <= 500


def test_ended_processes_age_out() -> None:
    store = MemoryStore()
    t = Tree("endgame")
    t.start("r", "boot", "root")
    t.end("r")
    for i in range(10):
        t.start(f"x{i}", "boot", "other")
    late = t.start("late", "r", "leaf")  # a minute later: r has aged out
    late["timestamp"] += 61 * 10_000_000
    got = detect("endgame", queries("endgame"), t.records, store=store)
    counters = store.stats()["rules"][LINEAGE_RULE]
    assert counters["processes_aged_out"] == 1
    assert got["descendant"] == []


def test_the_tree_is_checkpointed_by_the_sqlite_store(tmp_path) -> None:
    path = str(tmp_path / "state.db")
    t = Tree("endgame")
    t.start("r", "boot", "root")
    t.start("c", "r", "mid")
    store = SqliteStore(path)
    detect("endgame", queries("endgame"), t.records, store=store)
    store.checkpoint({"file": "x"})
    store.close()

    restored = SqliteStore(path)
    assert restored.restore() == {"file": "x"}
    t2 = Tree("endgame")
    t2.records = []
    leaf = t2.start("g", "c", "leaf")
    got = detect("endgame", queries("endgame"), [leaf], store=restored)
    assert got["descendant"] == [leaf]
    restored.close()


def test_unknown_processes_ask_the_parent_named_by_the_event() -> None:
    # No start event for "c" (it started before the sensor), but its events name the parent.
    t = Tree("endgame")
    t.start("r", "boot", "root")
    record = t.file("c", "x")
    record["unique_ppid"] = "r"
    got = detect("endgame", {"q": 'file where child of [process where process_name == "root"]'},
                 t.records)  # fmt: skip
    assert got["q"] == [record]
