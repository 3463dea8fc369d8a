"""Decoders: arrays, NDJSON, concatenated objects, gzip, damage, stats, dead letters, sources."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kestrel_core.builtins.sources import FileSource, StdinSource, kestrel_event_sources
from kestrel_core.events.decoders import DeadLetter, DecodedRecord, DecodeStats, iter_records


def decode(data: bytes, name: str = "t") -> tuple[list[DecodedRecord], DecodeStats]:
    stats = DecodeStats()
    return list(iter_records(io.BytesIO(data), name=name, stats=stats)), stats


def summary(records: list[DecodedRecord]) -> list[tuple[str, object]]:
    """(origin, record) for good records, (origin, error prefix) for malformed ones."""
    return [
        (r.origin, r.record if r.ok else "ERR " + (r.error or "").split(":")[0]) for r in records
    ]


# (input, expected summary, expected malformed count)
CASES = [
    # NDJSON, blank lines and CRLF
    (b'{"a":1}\n\n{"b":2}\r\n', [("t:1", {"a": 1}), ("t:3", {"b": 2})], 0),
    # NDJSON with a bad line, a non-object line and a truncated line
    (
        b'{"a":1}\n{"a":,}\n42\n{"b": 2, "c"\n{"d":4}\n',
        [
            ("t:1", {"a": 1}),
            ("t:2", "ERR malformed JSON"),
            ("t:3", "ERR not a JSON object"),
            ("t:4", "ERR truncated JSON object"),
            ("t:5", {"d": 4}),
        ],
        3,
    ),
    # concatenated pretty-printed objects, a brace inside a string, an escaped quote
    (
        b'{\n  "a": "}{\\"",\n  "n": {"x": [1, {"y": 2}]}\n}\n{\n  "b": 2\n}\n',
        [("t:1", {"a": '}{"', "n": {"x": [1, {"y": 2}]}}), ("t:5", {"b": 2})],
        0,
    ),
    # several objects on one line, stray text between them
    (
        b'{"a":1}{"b":2} junk {"c":3}\n',
        [("t:1", {"a": 1}), ("t:1", {"b": 2}), ("t:1", "ERR not a JSON object"), ("t:1", {"c": 3})],
        1,
    ),
    # a pretty-printed object truncated, then the next one at column 0
    (
        b'{\n  "a": 1,\n  "b": {\n{\n  "c": 3\n}\n',
        [("t:1", "ERR truncated JSON object"), ("t:4", {"c": 3})],
        1,
    ),
    # input ends inside an object
    (b'{"a":1}\n{\n  "b": ', [("t:1", {"a": 1}), ("t:2", "ERR truncated JSON object")], 1),
    # arrays: element index origins; non-objects are malformed
    (b'[{"a":1}, 5, null, {"b":2}]', [("t[0]", {"a": 1}), ("t[1]", "ERR not a JSON object"),
                                      ("t[2]", "ERR not a JSON object"), ("t[3]", {"b": 2})], 2),
    # a truncated array: the good elements before the damage
    (b'[\n {"a":1},\n {"b":2},\n {"c"', [("t:2", {"a": 1}), ("t:3", {"b": 2}),
                                         ("t:4", "ERR truncated JSON object")], 1),
    # damage in the middle of an array: the good elements before and after
    (
        b'[\n {"a":1},\n {"b":2, },\n {"c":\n {"d":4}\n]\n',
        [("t:2", {"a": 1}), ("t:3", "ERR malformed JSON"), ("t:4", "ERR truncated JSON object"),
         ("t:5", {"d": 4})],
        2,
    ),
    # empty and blank inputs, an empty array
    (b"", [], 0),
    (b"  \n\n", [], 0),
    (b"[]", [], 0),
    (b"\n  [ ]\n", [], 0),
    # a UTF-8 byte order mark
    (b'\xef\xbb\xbf{"a":1}\n', [("t:1", {"a": 1})], 0),
]  # fmt: skip


@pytest.mark.parametrize(("data", "expected", "malformed"), CASES)
def test_decode(data: bytes, expected: list[tuple[str, object]], malformed: int) -> None:
    records, stats = decode(data)
    assert summary(records) == expected
    assert stats.malformed == malformed
    assert stats.records == len(expected) - malformed
    assert stats.total == len(expected)


@pytest.mark.parametrize("data", [c[0] for c in CASES])
def test_gzipped_input_decodes_the_same(data: bytes) -> None:
    assert summary(decode(gzip.compress(data))[0]) == summary(decode(data)[0])


def test_truncated_gzip_yields_what_it_can_and_an_error() -> None:
    data = b"".join(orjson.dumps({"i": i, "pad": "x" * 50}) + b"\n" for i in range(2000))
    records, stats = decode(gzip.compress(data)[:-200])
    good = [r.record["i"] for r in records if r.ok]
    assert good == list(range(len(good)))
    assert 0 < len(good) < 2000
    assert not records[-1].ok
    assert records[-1].origin == "t"
    assert "cannot read t" in (records[-1].error or "")
    assert stats.malformed >= 1


def test_raw_bytes() -> None:
    records, _ = decode(b'{"a": 1}\r\n{"b":\n 2}\n[1]\n')
    assert [r.raw for r in records] == [b'{"a": 1}', b'{"b":\n 2}', b"[1]"]
    # array elements decoded whole are re-encoded on demand
    (element,) = decode(b'[{"a": 1}]')[0]
    assert orjson.loads(element.raw) == {"a": 1}


def test_dead_letter(tmp_path: Path) -> None:
    path = tmp_path / "dead.ndjson"
    with DeadLetter(path) as dead:
        records = list(
            iter_records(io.BytesIO(b'{"a":1}\n{"a":\xff,}\n7\n'), name="in", dead_letter=dead)
        )
    assert len(records) == 3
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert [(d["origin"], d["error"].split(":")[0]) for d in lines] == [
        ("in:2", "malformed JSON"),
        ("in:3", "not a JSON object"),
    ]
    assert lines[0]["raw"] == '{"a":\\xff,}'
    assert lines[1]["raw"] == "7"


def test_dead_letter_not_created_when_clean(tmp_path: Path) -> None:
    with DeadLetter(tmp_path / "dead.ndjson") as dead:
        list(iter_records(io.BytesIO(b'{"a":1}\n'), dead_letter=dead))
    assert not (tmp_path / "dead.ndjson").exists()


def test_path_source_names_origin(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_bytes(b'{"a":1}\n{"b":2}\n')
    assert [r.origin for r in iter_records(path)] == [f"{path}:1", f"{path}:2"]
    assert [r.origin for r in iter_records(str(path), name="events.json")][1] == "events.json:2"


def test_stream_name_default() -> None:
    stream = io.BytesIO(b'{"a":1}')
    stream.name = "<stdin>"  # type: ignore[attr-defined]
    assert [r.origin for r in iter_records(stream)] == ["<stdin>:1"]


def test_ndjson_is_streamed_not_read_whole() -> None:
    """Line mode pulls lines lazily: the first record comes before the stream is exhausted."""

    class Lines(io.RawIOBase):
        def __init__(self) -> None:
            self.served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            if self.served >= 10_000:
                return 0
            chunk = b'{"i": %d}\n' % self.served
            self.served += 1
            buffer[: len(chunk)] = chunk
            return len(chunk)

    raw = Lines()
    records = iter_records(io.BufferedReader(raw, buffer_size=64))
    assert next(records).record == {"i": 0}
    assert raw.served < 100


# --- the three encodings of the same objects decode the same ----------------------------------

json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
json_objects = st.dictionaries(st.text(max_size=6), json_values, max_size=4)


@settings(max_examples=150, deadline=None)
@given(st.lists(json_objects, max_size=6), st.booleans())
def test_encodings_agree(objects: list[dict[str, object]], zipped: bool) -> None:
    ndjson = b"".join(orjson.dumps(o) + b"\n" for o in objects)
    array = orjson.dumps(objects, option=orjson.OPT_INDENT_2)
    concatenated = b"".join(orjson.dumps(o, option=orjson.OPT_INDENT_2) + b"\n" for o in objects)
    compact = b"".join(orjson.dumps(o) for o in objects)  # objects back to back on one line
    for data in (ndjson, array, concatenated, compact):
        payload = gzip.compress(data) if zipped else data
        records, stats = decode(payload)
        assert [r.record for r in records] == objects
        assert stats.malformed == 0


# --- sources -----------------------------------------------------------------------------------


def test_file_source_directory(tmp_path: Path) -> None:
    events = tmp_path / "events"
    (events / "sub").mkdir(parents=True)
    (events / "b.ndjson").write_bytes(b'{"f":"b"}\n')
    (events / "a.json").write_bytes(b'[{"f":"a"}]')
    (events / "c.json.gz").write_bytes(gzip.compress(b'{"f":"c"}'))
    (events / "d.jsonl").write_bytes(b'{"f":"d"}\nbad\n')
    (events / "notes.txt").write_bytes(b"not events")
    (events / "sub" / "e.json").write_bytes(b'{"f":"e"}')
    source = FileSource(events, recursive=False, dead_letter=tmp_path / "dead.ndjson")
    records = list(source)
    source.close()
    assert [r.record["f"] for r in records if r.ok] == ["a", "b", "c", "d"]
    assert [r.origin for r in records if not r.ok] == [f"{events / 'd.jsonl'}:2"]
    assert source.stats.as_dict() == {"records": 4, "malformed": 1}
    assert (tmp_path / "dead.ndjson").exists()
    (events / "a").mkdir()
    (events / "a" / "z.json").write_bytes(b'{"f":"a/z"}')
    recursive = FileSource(str(events))  # recursive by default
    assert [r.record["f"] for r in recursive if r.ok] == ["a/z", "a", "b", "c", "d", "e"]


def test_file_source_several_paths_and_missing(tmp_path: Path) -> None:
    (tmp_path / "1.json").write_bytes(b'{"n":1}')
    (tmp_path / "2.json").write_bytes(b'{"n":2}')
    source = FileSource([tmp_path / "2.json", tmp_path / "1.json"])
    assert [r.record["n"] for r in source] == [2, 1]
    with pytest.raises(FileNotFoundError, match="event file or directory not found"):
        list(FileSource(tmp_path / "missing.json"))


def test_stdin_source() -> None:
    source = StdinSource(io.BytesIO(gzip.compress(b'[{"a":1},{"b":2}]')))
    assert [r.origin for r in source] == ["<stdin>[0]", "<stdin>[1]"]
    assert source.stats.records == 2


def test_event_sources_hook() -> None:
    sources = {s.name: s for s in kestrel_event_sources()}
    assert set(sources) == {"file", "stdin"}
    assert sources["file"].description.startswith("Events from a file or a directory")
    assert [o.name for o in sources["file"].config] == ["path", "recursive", "dead_letter"]
