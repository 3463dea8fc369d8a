"""``@timestamp`` literals to integer nanoseconds since the Unix epoch, and ``maxspan`` units."""

from __future__ import annotations

import calendar
import re

#: Nanoseconds per ``maxspan`` unit (Elasticsearch accepts exactly these).
UNITS_NS = {
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
    "d": 86400 * 1_000_000_000,
}

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?"
)


def timestamp_ns(value: object) -> int:
    """Nanoseconds for an ISO-8601 string (up to 9 fraction digits, UTC unless an offset is given)
    or a number of epoch milliseconds. Raises ``ValueError`` for anything else."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not a timestamp")
    if isinstance(value, (int, float)):
        return round(value * 1_000_000)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a timestamp")
    text = value.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text) * 1_000_000
    match = _ISO.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{value!r} is not an ISO-8601 timestamp (2017-08-30T20:47:33.123456789Z) "
            "or epoch milliseconds"
        )
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    parts = [int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)]
    if not (1 <= parts[1] <= 12 and 1 <= parts[2] <= 31 and parts[3] < 24 and parts[4] < 60):
        raise ValueError(f"{value!r} is not a valid date and time")
    if parts[5] > 60:
        raise ValueError(f"{value!r} is not a valid date and time")
    seconds = calendar.timegm((*parts, 0, 0, 0))
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60
        seconds -= sign * offset
    nanos = int((fraction or "").ljust(9, "0") or 0)
    return seconds * 1_000_000_000 + nanos
