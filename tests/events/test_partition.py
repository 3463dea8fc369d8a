"""Byte-level host keys (``--workers N`` partitioning) agree with the decoded records."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from kestrel_core.events.partition import HostOwner, HostRouter, RawHostKey
from kestrel_core.events.profiles import ecs, endgame, sysmon

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_raw_host_agrees_with_the_decoded_host_on_the_example_data() -> None:
    schema = ecs()
    raw_host = RawHostKey(schema)
    found = 0
    for line in (EXAMPLES / "events.ndjson").read_bytes().splitlines(keepends=True):
        key = raw_host(line)
        if key is not None:
            found += 1
            assert key.decode() == schema.record_host(orjson.loads(line))
    assert found > 3000  # the compact lines are all read without decoding


PREFIX = b'{"@timestamp":"2024-05-01T00:00:00Z","event":{"category":["process"]},'


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (PREFIX + b'"host":{"id":"h1","name":"n"}}\n', b"h1"),
        (b'{"host":{"id":"h1"},"a":1}', b"h1"),
        (b'{"a":"{[}","b":[1,{"c":2}],"host":{"id":"h1"}}\r\n', b"h1"),
        (b'{"a":"caf\xc3\xa9","host":{"id":"h\xc3\xa9"}}\n', "h\u00e9".encode()),
        (b'{"host":{"id":"h1"},"x":{"host":{"id":"h2"}}}\n', b"h1"),
    ],
)
def test_raw_host_reads_top_level_keys(line: bytes, expected: bytes) -> None:
    schema = ecs()
    assert RawHostKey(schema)(line) == expected
    assert expected.decode() == schema.record_host(orjson.loads(line))


@pytest.mark.parametrize(
    "line",
    [
        b'{"host": {"id": "h1"}}\n',  # not compact
        b'{"host":{"name":"n","id":"h1"}}\n',  # id not first
        b'{"x":{"host":{"id":"nested"}},"agent":{"id":"a1"}}\n',  # only a nested host
        b'{"x":{"y":1,"host":{"id":"nested"}}}\n',  # nested, after other members
        b'{"host":{"id":""},"agent":{"id":"a1"}}\n',  # empty: the next field decides
        b'{"host":{"id":"a\\"b"}}\n',  # escapes in the value
        b'{"host":{"id":["h1"]}}\n',  # not a string
        b'{"host":{"id":"h1"},"a":{"b":1',  # truncated
        b'{"host":{"id":"h1"},"a":{"b":1}}junk\n',
        b' {"host":{"id":"h1"}}\n',  # leading space
        b"",
        b"\n",
    ],
)
def test_raw_host_declines_what_it_cannot_be_sure_of(line: bytes) -> None:
    assert RawHostKey(ecs())(line) is None


@pytest.mark.parametrize(
    "line",
    [
        b'{"host.id":"flat","host":{"id":"h1"}}\n',  # the flat key wins
        b'{"host":{"id":"h1"},"\\u0068ost":{"id":"h0"}}\n',  # an escaped duplicate key
        b'{"a":"}","x":{"host":{"id":"nested"}},"host":{"id":"h1"}}\n',  # a brace in a string
    ],
)
def test_a_fooled_guess_is_counted_by_the_worker(line: bytes) -> None:
    from kestrel_core.engine.workers import decode_rows

    schema = ecs()
    guess = RawHostKey(schema)(line)
    assert guess is not None and guess.decode() != schema.record_host(orjson.loads(line))
    owner = HostOwner(schema, first=True)
    owner.add([guess])
    events, bad, misrouted = decode_rows(schema.normalizer, [(0, line, "f", 1)], owner)
    assert (len(events), bad, misrouted) == (1, [], 1)


def test_raw_host_per_profile() -> None:
    assert RawHostKey(endgame())(b'{"hostname":"w1","x":1}\n') == b"w1"
    assert RawHostKey(ecs(host_fields=("agent.id",)))(b'{"agent":{"id":"a"}}') == b"a"
    assert not RawHostKey(sysmon()).enabled  # evtx dumps need the fields view
    assert RawHostKey(sysmon())(b'{"Computer":"c1"}\n') is None
    assert not RawHostKey(ecs(host_fields=("a.b.c",))).enabled


def test_router_gives_a_host_one_worker_raw_or_decoded() -> None:
    schema = ecs()
    router = HostRouter(schema, 3)
    for line in (EXAMPLES / "events.ndjson").read_bytes().splitlines()[:500]:
        record = orjson.loads(line)
        key = RawHostKey(schema)(line)
        assert key is not None and router.of_bytes(key) == router.of_record(record)
    assert router.of_record({"no": "host"}) == 0
    assert router.of_record([1]) == 0


def test_router_spreads_new_hosts_over_the_least_loaded_workers() -> None:
    router = HostRouter(ecs(), 2)
    assert [router.of_bytes(k) for k in (b"a", b"b", b"a", b"c")] == [0, 1, 0, 0]
    assert router.take_assigned() == [[b"a", b"c"], [b"b"]]
    router.add_load([100, 10])
    assert router.of_bytes(b"d") == 1 and router.of_bytes(b"a") == 0
    assert router.take_assigned() == [[], [b"d"]]
    owner = HostOwner(ecs(), first=False)
    owner.add([b"d"])
    assert owner({"host": {"id": "d"}}) and not owner({"host": {"id": "a"}})
    assert not owner({"no": "host"}) and HostOwner(ecs(), first=True)({"no": "host"})


def test_preassign_balances_hosts_by_volume() -> None:
    router = HostRouter(ecs(), 2)
    assert not router.assigned_any
    # first-seen order would give a, c (36) to worker 0 and b, d (14) to worker 1
    router.preassign({b"a": 26, b"b": 10, b"c": 10, b"d": 4})
    assert router.assigned_any
    loads = [0, 0]
    for key, count in {b"a": 26, b"b": 10, b"c": 10, b"d": 4}.items():
        loads[router.of_bytes(key)] += count
    assert sorted(loads) == [24, 26]
    assert sorted(map(sorted, router.take_assigned())) == [[b"a"], [b"b", b"c", b"d"]]
