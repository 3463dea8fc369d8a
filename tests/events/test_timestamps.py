"""Timestamp parsing: input -> integer nanoseconds since the Unix epoch, exactly."""

from __future__ import annotations

import pytest

from kestrel_core.events.timestamps import FORMATS, TimestampError, get_parser, parse_timestamp

# (value, format, expected ns). Expected values were computed with calendar.timegm, not with the
# code under test.
CASES = [
    # ISO-8601, the common forms
    ("2018-12-04T00:42:45.727Z", "iso8601", 1543884165727000000),
    ("2018-12-04T00:42:45.727Z", "auto", 1543884165727000000),
    ("2018-12-04t00:42:45.727z", "iso8601", 1543884165727000000),
    ("2018-12-04T00:42:45.727+00:00", "iso8601", 1543884165727000000),
    ("2018-12-04 00:42:45.727", "auto", 1543884165727000000),  # Sysmon UtcTime: UTC
    ("2018-12-04T00:42:45.727", "iso8601", 1543884165727000000),  # no zone: UTC
    ("2026-04-20T10:00:35.646624Z", "auto", 1776679235646624000),  # evtx SystemTime
    ("2017-08-30", "auto", 1504051200000000000),  # date only
    ("2018-12-04T00:42:45Z", "iso8601", 1543884165000000000),  # no fraction
    ("2018-12-04T00:42Z", "iso8601", 1543884120000000000),  # no seconds
    # fraction digits: 1 to 9 exactly, more truncated
    ("2018-12-04T00:42:45.7Z", "iso8601", 1543884165700000000),
    ("2018-12-04T00:42:45.1234567Z", "iso8601", 1543884165123456700),
    ("2018-12-04T00:42:45.123456789Z", "iso8601", 1543884165123456789),
    ("2018-12-04T00:42:45.1234567891Z", "iso8601", 1543884165123456789),
    ("2018-12-04T00:42:45,5+01:00", "iso8601", 1543880565500000000),  # comma, offset
    # offsets
    ("2018-12-04T00:42:45.123456789+05:30", "iso8601", 1543864365123456789),
    ("2018-12-04T00:42:45.123456789-05:30", "iso8601", 1543903965123456789),
    ("2018-12-04T00:42:45.123+0530", "iso8601", 1543864365123000000),
    ("2018-12-04T00:42:45.5+01", "iso8601", 1543880565500000000),
    # other ISO forms through the generic path
    ("20181204T004245Z", "iso8601", 1543884165000000000),
    ("2016-02-29T23:59:59.999999999Z", "iso8601", 1456790399999999999),
    ("1969-12-31T23:59:59.9Z", "iso8601", -100000000),
    # epoch numbers and numeric strings
    (1543884165727, "auto", 1543884165727000000),  # auto: epoch milliseconds
    ("1543884165727", "auto", 1543884165727000000),
    ("1", "auto", 1000000),  # the conformance data's "@timestamp": "1"
    (1543884165727.5, "auto", 1543884165727500000),
    (1543884165, "epoch_s", 1543884165000000000),
    (1543884165.727, "epoch_s", 1543884165727000000),  # exact, not float-rounded
    ("1543884165.123456789", "epoch_s", 1543884165123456789),
    ("1.5e3", "epoch_s", 1500000000000),
    (-1.5, "epoch_s", -1500000000),
    (1543884165727, "epoch_ms", 1543884165727000000),
    ("1543884165727.000001", "epoch_ms", 1543884165727000001),
    (1543884165727000001, "epoch_ns", 1543884165727000001),
    ("1543884165727000001", "epoch_ns", 1543884165727000001),
    (1e18, "epoch_ns", 1000000000000000000),
    # Windows FILETIME: 100 ns ticks since 1601-01-01
    (131485996510000000, "filetime", 1504126051000000000),
    ("131485996510000000", "filetime", 1504126051000000000),
    (116444736000000000, "filetime", 0),
    (0, "filetime", -11644473600000000000),
    (131485996510000001, "filetime", 1504126051000000100),
]


@pytest.mark.parametrize(("value", "fmt", "expected"), CASES)
def test_parse(value: object, fmt: str, expected: int) -> None:
    assert parse_timestamp(value, fmt) == expected
    assert get_parser(fmt)(value) == expected


BAD = [
    ("not a date", "auto"),
    ("", "auto"),
    ("2018-13-04T00:00:00Z", "iso8601"),  # month 13
    ("2018-02-30", "iso8601"),
    ("2018-12-04T25:00:00Z", "iso8601"),
    ("2018-12-04T00:42:45+25:00", "iso8601"),
    ("2018-12-04T00:42:45Zjunk", "iso8601"),
    (1543884165727, "iso8601"),  # a number is not ISO
    ("2018-12-04T00:42:45Z", "epoch_ms"),
    ("12abc", "epoch_s"),
    (".", "epoch_s"),
    (True, "auto"),  # booleans are not numbers
    (None, "epoch_ms"),
    ([1], "auto"),
    ({"a": 1}, "filetime"),
    (float("nan"), "epoch_s"),
    (float("inf"), "auto"),
    ("1e999999", "epoch_s"),
]


@pytest.mark.parametrize(("value", "fmt"), BAD)
def test_bad_input_raises_timestamp_error(value: object, fmt: str) -> None:
    with pytest.raises(TimestampError, match="cannot read timestamp"):
        parse_timestamp(value, fmt)


def test_timestamp_error_is_a_value_error() -> None:
    assert issubclass(TimestampError, ValueError)


def test_error_message_names_value_and_format() -> None:
    with pytest.raises(TimestampError) as info:
        parse_timestamp("yesterday", "iso8601")
    assert "'yesterday'" in str(info.value)
    assert "iso8601" in str(info.value)


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown timestamp format 'bogus'"):
        get_parser("bogus")


def test_formats_listed() -> None:
    assert FORMATS == ("auto", "iso8601", "epoch_s", "epoch_ms", "epoch_ns", "filetime")
    for fmt in FORMATS:
        assert callable(get_parser(fmt))


def test_endgame_at_timestamp_relation() -> None:
    """The conformance data's ``@timestamp = timestamp // 10000 - 11644473600000`` (ms)."""
    for ticks in (131485996510000000, 131883575587910000, 131883575587919999):
        assert parse_timestamp(ticks, "filetime") // 1_000_000 == ticks // 10000 - 11644473600000
