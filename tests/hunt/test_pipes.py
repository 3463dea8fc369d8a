"""Pipes in ``kestrel query``, in both dialects: one line per case, input -> output.

Records carry ``@timestamp`` (epoch ms, the ``ecs`` profile) and ``event.category``; results
are shown by their ``n`` values.
"""

from __future__ import annotations

from typing import Any

import pytest

from kestrel_eql import EqlUnsupportedError


def ev(n: int, name: str, user: str = "u", cat: str = "process") -> dict[str, Any]:
    return {"@timestamp": 1000 + n, "event": {"category": cat}, "n": n, "name": name, "user": user}


RECORDS = [
    ev(1, "cmd.exe", "alice"),
    ev(2, "CMD.EXE", "bob"),
    ev(3, "net.exe", "alice"),
    ev(4, "cmd.exe", "carol"),
    ev(5, "whoami.exe", "alice"),
    ev(6, "net.exe", "bob", cat="network"),
]


def ns(lines: list[dict[str, Any]]) -> list[Any]:
    return [[e["n"] for e in line["events"]] if len(line["events"]) != 1
            else line["events"][0]["n"] for line in lines]  # fmt: skip


#: (dialect, query, expected ``n`` per result line)
CASES = [
    ("elasticsearch", "process where true | head 2", [1, 2]),
    ("elasticsearch", "process where true | tail 2", [4, 5]),
    ("elasticsearch", "process where true | tail 3 | head 1", [3]),
    ("endgame", "process where true | head 2", [1, 2]),
    ("endgame", "process where true | tail 2", [4, 5]),
    ("endgame", "process where true | unique user", [1, 2, 4]),
    ("endgame", "process where true | unique name", [1, 2, 3, 5]),  # keys keep their case
    ("endgame", "process where true | unique user, name", [1, 2, 3, 4, 5]),
    ("endgame", "process where true | unique user name", [1, 2, 3, 4, 5]),  # spaces
    ("endgame", 'process where true | filter name == "cmd*"', [1, 2, 4]),
    ("endgame", "process where true | filter n > 2 and n < 5", [3, 4]),
    ("endgame", "process where true | sort user", [1, 3, 5, 2, 4]),  # stable
    ("endgame", "process where true | sort user, n | tail 1", [4]),
    ("endgame", "process where true | unique_count user | filter count > 1", [1]),
    ("endgame", "process where true | unique user | head 1", [1]),
    ("endgame", "any where true | count user | head 1", [4]),
    ("endgame", "sequence by user [process where true] [process where true] | head 1", [[1, 3]]),
    ("endgame",
     'sequence by user [process where true] [process where true] | filter events[1].n == 5',
     [[3, 5]]),
    ("endgame", "join by user [process where n < 3] [network where true]", [[2, 6]]),
]  # fmt: skip


@pytest.mark.parametrize(("dialect", "text", "expected"), CASES, ids=[c[1] for c in CASES])
def test_pipe(query, dialect: str, text: str, expected: list[Any]) -> None:
    assert ns(query(text, RECORDS, dialect=dialect)) == expected


def test_count_lines(query) -> None:
    assert query("process where true | count", RECORDS) == [
        {"events": [], "join_keys": [], "count": 5, "key": "totals"}
    ]
    lines = query("process where true | count user", RECORDS)
    assert [(line["key"], line["count"], line["percent"]) for line in lines] == [
        ("bob", 1, 0.2),
        ("carol", 1, 0.2),
        ("alice", 3, 0.6),
    ]  # fmt: skip  (by count, then key)
    assert lines[2]["events"] == [RECORDS[0]]  # the group's first event
    two = query("process where true | count user, name | tail 1", RECORDS)
    assert (two[0]["key"], two[0]["count"]) == (["carol", "cmd.exe"], 1)
    unique_count = query("process where true | unique_count user", RECORDS)
    assert [(line["count"], line["percent"]) for line in unique_count] == [
        (3, 0.6), (1, 0.2), (1, 0.2),
    ]  # fmt: skip
    assert "key" not in unique_count[0]


def test_size_after_tail_keeps_the_last(query) -> None:
    assert ns(query("process where true | tail 3", RECORDS, size=1)) == [5]
    assert ns(query("process where true | sort n", RECORDS, size=2)) == [1, 2]


@pytest.mark.parametrize("pipe", ["count", "unique user", "unique_count user", "filter true",
                                  "sort n"])  # fmt: skip
def test_elasticsearch_rejects_endgame_pipes(query, pipe: str) -> None:
    with pytest.raises(EqlUnsupportedError) as info:
        query(f"process where true | {pipe}", RECORDS, dialect="elasticsearch")
    assert "Endgame" in info.value.construct
