"""Schema.normalize, host keys, overrides and field getters."""

from __future__ import annotations

import pytest

from kestrel_core.events.model import Event
from kestrel_core.events.schema import MalformedEvent, Schema, field_getter

TS = "2018-12-04T00:42:45.727Z"
TS_NS = 1543884165727000000


@pytest.fixture
def schema() -> Schema:
    return Schema(
        name="test",
        category_field="event.category",
        timestamp_field="@timestamp",
        tiebreaker_field="event.sequence",
        host_fields=("host.id", "agent.id", "host.name"),
    )


def test_normalize_builds_event(schema: Schema) -> None:
    record = {"@timestamp": TS, "event": {"category": "process", "sequence": 7}, "x": 1}
    event = schema.normalize(record, seq=3, origin="e.json:4")
    assert isinstance(event, Event)
    assert event.categories == ("process",)
    assert event.timestamp == TS_NS
    assert event.tiebreaker == 7
    assert event.fields is record  # no copy without a view
    assert event.record is record
    assert (event.seq, event.origin) == (3, "e.json:4")


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("process", ("process",)),
        (["process", "network"], ("process", "network")),
        ([], ()),
        (None, ()),
        (5, ("5",)),
        (["file", 2, None], ("file", "2")),
    ],
)
def test_categories(schema: Schema, category: object, expected: tuple[str, ...]) -> None:
    event = schema.normalize({"event": {"category": category}})
    assert event.categories == expected


def test_flat_dotted_keys(schema: Schema) -> None:
    record = {"@timestamp": TS, "event.category": ["file"], "host.id": "h1"}
    event = schema.normalize(record)
    assert event.categories == ("file",)
    assert schema.host_key(event) == "h1"


def test_missing_timestamp_is_not_malformed(schema: Schema) -> None:
    event = schema.normalize({"event": {"category": "process"}})
    assert event.timestamp is None
    assert event.tiebreaker is None


@pytest.mark.parametrize("record", [[1, 2], "text", 42, None])
def test_not_an_object_is_malformed(schema: Schema, record: object) -> None:
    with pytest.raises(MalformedEvent, match=r"at e\.json:9 is not a JSON object"):
        schema.normalize(record, origin="e.json:9")


def test_bad_timestamp_is_malformed(schema: Schema) -> None:
    with pytest.raises(MalformedEvent, match=r"record at e\.json:2: field '@timestamp'"):
        schema.normalize({"@timestamp": "yesterday"}, origin="e.json:2")
    assert issubclass(MalformedEvent, ValueError)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"host": {"id": "h1", "name": "n"}, "agent": {"id": "a"}}, "h1"),
        ({"host": {"name": "n"}, "agent": {"id": "a"}}, "a"),
        ({"host": {"name": "n"}}, "n"),
        ({"host": {"name": ["n1", "n2"]}}, "n1"),
        ({"host": {"id": 42}}, "42"),
        ({"host": {"id": ""}}, None),
        ({}, None),
    ],
)
def test_host_key(schema: Schema, record: dict[str, object], expected: str | None) -> None:
    assert schema.host_key(schema.normalize(record)) == expected


def test_with_overrides(schema: Schema) -> None:
    other = schema.with_overrides(
        category_field="event_type",
        timestamp_field="ts",
        timestamp_format="epoch_s",
        tiebreaker_field="serial",
    )
    event = other.normalize({"event_type": "file", "ts": 2, "serial": 9})
    assert (event.categories, event.timestamp, event.tiebreaker) == (("file",), 2 * 10**9, 9)
    assert schema.with_overrides() is schema
    assert schema.with_overrides(timestamp_format=None) is schema
    # the original is untouched
    assert schema.timestamp_format == "auto"


def test_overrides_drop_fallbacks_and_category_map() -> None:
    base = Schema(
        name="t",
        category_field="a",
        category_fallbacks=("b",),
        timestamp_field="t1",
        timestamp_fallbacks=("t2",),
        timestamp_format="epoch_s",
        category_map=lambda value, fields: ("mapped",),
    )
    record = {"b": "x", "t2": 5, "c": "plain"}
    event = base.normalize(record)
    assert (event.categories, event.timestamp) == (("mapped",), 5 * 10**9)
    over = base.with_overrides(category_field="c", timestamp_field="t1")
    event = over.normalize(record)
    assert (event.categories, event.timestamp) == (("plain",), None)


def test_unknown_timestamp_format_rejected(schema: Schema) -> None:
    with pytest.raises(ValueError, match="unknown timestamp format"):
        schema.with_overrides(timestamp_format="weekday")


def test_timestamp_ms_field_copies_not_mutates() -> None:
    schema = Schema(
        name="t",
        category_field="kind",
        timestamp_field="ticks",
        timestamp_format="filetime",
        timestamp_ms_field="@timestamp",
    )
    record = {"kind": "process", "ticks": 131485996510000000}
    event = schema.normalize(record)
    assert event.fields["@timestamp"] == 1504126051000
    assert event.get("@timestamp") == 1504126051000
    assert "@timestamp" not in record
    assert event.record is record
    # a record that has the field keeps its own value, uncopied
    own = {"kind": "process", "ticks": 131485996510000000, "@timestamp": 5}
    assert schema.normalize(own).fields is own


@pytest.mark.parametrize(
    ("paths", "record", "expected"),
    [
        (("a",), {"a": 1}, 1),
        (("a.b",), {"a": {"b": 2}}, 2),
        (("a.b",), {"a.b": 3, "a": {"b": 2}}, 3),  # flat dotted key preferred, as lookup()
        (("a.b.c",), {"a": {"b.c": 4}}, 4),
        (("a.b.c",), {"a.b": {"c": 5}}, 5),
        (("a.b",), {"a": [{"b": 1}, {"b": 2}]}, [1, 2]),  # arrays of objects, as lookup()
        (("a.b",), {"a": "scalar"}, None),
        (("a.b",), {}, None),
        (("x", "a"), {"a": 1}, 1),  # first present wins
        (("x", "a.b"), {"x": None, "a": {"b": 6}}, 6),
        ((), {"a": 1}, None),
    ],
)
def test_field_getter(paths: tuple[str, ...], record: dict[str, object], expected: object) -> None:
    assert field_getter(paths)(record) == expected


def test_sort_key_order(schema: Schema) -> None:
    events = [
        schema.normalize({"@timestamp": 2, "event": {"sequence": 1}}, seq=0),
        schema.normalize({"@timestamp": 1, "event": {"sequence": 2}}, seq=1),
        schema.normalize({"@timestamp": 1, "event": {"sequence": 1}}, seq=2),
        schema.normalize({}, seq=3),
    ]
    assert [e.seq for e in sorted(events, key=Event.sort_key)] == [3, 2, 1, 0]
