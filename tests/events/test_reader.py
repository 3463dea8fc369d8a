"""EventReader: the lean NDJSON path gives what the general decoders give, batches and resumes."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from kestrel_core.events.decoders import DeadLetter
from kestrel_core.events.profiles import ecs
from kestrel_core.inputs import EventReader, InputStats

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

MIXED = b"\n".join(
    [
        b'{"@timestamp":"2024-05-01T00:00:00.5Z","event":{"category":"process"},"n":1}',
        b"",
        b'{"a": }',
        b"[1, 2]",
        b'{"@timestamp":"yesterday","n":2}',
        b"{",
        b'  "@timestamp": "2024-05-01T00:00:01+01:00",',
        b'  "event": {"category": ["file", "process"]}, "n": 3',
        b"}",
        b'{"n":4,"@timestamp":1714521600000} {"n":5}',
        b'{"n":6,"event.category":"network","@timestamp":"2024-05-01 00:00:02.123456789"}',
        b'{"n":7,"trunc',
        b'{"n":8}',
        b'{"n":9,"open":{',
    ]
)


def _read(path: Path, size: int = 4, **kwargs) -> tuple[list, InputStats, list[str]]:
    stats, messages = InputStats(), []
    reader = EventReader([str(path)], ecs(), stats, messages.append, **kwargs)
    events = [e for batch in reader.batches(size) for e in batch]
    return events, stats, messages


def _view(events: list, name: str) -> list[tuple]:
    return [
        (e.record["n"], e.categories, e.timestamp, e.seq, e.origin.replace(name, "F"))
        for e in events
    ]


def test_the_lean_path_agrees_with_the_general_decoders(tmp_path: Path) -> None:
    plain = tmp_path / "mixed.ndjson"
    plain.write_bytes(MIXED + b"\n")
    zipped = tmp_path / "mixed.ndjson.gz"
    zipped.write_bytes(gzip.compress(MIXED + b"\n"))  # gzip takes the general path
    lean, lean_stats, lean_msgs = _read(plain)
    general, general_stats, general_msgs = _read(zipped)
    assert _view(lean, str(plain)) == _view(general, str(zipped))
    assert [e.record["n"] for e in lean] == [1, 3, 4, 5, 6, 8]
    assert lean_stats == general_stats
    assert (lean_stats.received, lean_stats.decoded, lean_stats.malformed) == (11, 6, 5)
    assert [m.replace(str(plain), "F") for m in lean_msgs] == [
        m.replace(str(zipped), "F") for m in general_msgs
    ]
    assert f"{plain}:3" in lean_msgs[0]
    assert lean[-2].timestamp == 1714521602123456789


def test_malformed_records_are_dead_lettered_on_the_lean_path(tmp_path: Path) -> None:
    plain = tmp_path / "mixed.ndjson"
    plain.write_bytes(MIXED)
    with DeadLetter(tmp_path / "dead.ndjson") as dead:
        _events, stats, _ = _read(plain, dead_letter=dead)
    assert dead.count == stats.malformed == 5


def test_batches_are_cut_at_the_size_and_the_position_is_exact(tmp_path: Path) -> None:
    src = tmp_path / "events.ndjson"
    shutil.copy(EXAMPLES / "events.ndjson", src)
    everything, _, _ = _read(src, size=1000)
    reader = EventReader([str(src)], ecs(), InputStats(), lambda _m: None)
    batches = reader.batches(300)
    first, second = next(batches), next(batches)
    assert len(first) == len(second) == 300
    position = reader.position()
    assert position["records"] == 600 and position["seq"] == 600
    batches.close()
    resumed, stats, _ = _read(src, size=1000, resume=position)
    assert [e.record for e in resumed] == [e.record for e in everything[600:]]
    assert [e.seq for e in resumed] == [e.seq for e in everything[600:]]
    assert stats.received == len(everything) - 600


def test_stop_ends_reading_after_the_current_record(tmp_path: Path) -> None:
    src = tmp_path / "events.ndjson"
    shutil.copy(EXAMPLES / "events.ndjson", src)
    reader = EventReader([str(src)], ecs(), InputStats(), lambda _m: None)
    seen = 0
    for batch in reader.batches(100):
        seen += len(batch)
        if seen >= 200:
            reader.stop()
    assert seen == 200
    assert reader.position()["records"] == 200


@pytest.mark.parametrize("size", [1, 7, 1024])
def test_iterating_events_gives_every_event_once(tmp_path: Path, size: int) -> None:
    src = tmp_path / "events.ndjson"
    shutil.copy(EXAMPLES / "events.ndjson", src)
    events, _, _ = _read(src, size=size)
    iterated = list(EventReader([str(src)], ecs(), InputStats(), lambda _m: None))
    assert [e.seq for e in events] == [e.seq for e in iterated] == list(range(len(events)))
