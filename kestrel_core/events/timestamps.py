"""Timestamp parsing: every supported form to integer nanoseconds since the Unix epoch.

Formats (the ``--timestamp-format`` values):

- ``auto``: ISO-8601 strings parse as ISO-8601; bare numbers and numeric strings are epoch
  milliseconds, as Elasticsearch date fields read them
  (``strict_date_optional_time||epoch_millis``).
- ``iso8601``: ``2018-12-04T00:42:45.727Z``, offsets (``+05:30``, ``+0530``, ``+05``), 0 to 9
  fraction digits (more are truncated), a space instead of ``T`` and no zone meaning UTC
  (Sysmon's ``2018-12-04 00:42:45.727``), date only (``2017-08-30``); other ISO forms (basic
  ``20181204T004245Z``, week dates) go through :meth:`datetime.datetime.fromisoformat`.
- ``epoch_s``, ``epoch_ms``, ``epoch_ns``: numbers or numeric strings, fractions and exponents
  allowed.
- ``filetime``: Windows FILETIME, 100 ns ticks since 1601-01-01 UTC.

Arithmetic is exact: fraction digits are read as integers, and a float is read through its shortest
decimal representation (``repr``), so ``1543884165.727`` seconds is exactly ``1543884165727000000``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

__all__ = [
    "FORMATS",
    "TimestampError",
    "get_parser",
    "parse_timestamp",
]

#: The accepted ``timestamp_format`` names.
FORMATS: tuple[str, ...] = ("auto", "iso8601", "epoch_s", "epoch_ms", "epoch_ns", "filetime")

_NS_PER_S = 1_000_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: FILETIME ticks (100 ns) between 1601-01-01 and 1970-01-01.
_FILETIME_EPOCH_TICKS = 116_444_736_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_NAIVE = datetime(1970, 1, 1)

# ISO-8601 extended format, the forms real data uses. Groups: year, month, day, hour, minute,
# second, fraction, "Z", offset sign, offset hours, offset minutes.
_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?",
    re.ASCII,
)
# The date and time of day to the second, as :func:`_iso_seconds` caches them.
_ISO_SECONDS_RE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}", re.ASCII)
#: ``"YYYY-MM-DDTHH:MM:SS"`` -> ns of that second (UTC). Events come many to a second.
_SECONDS: dict[str, int] = {}
_MAX_SECONDS = 65536
#: ``"000"`` .. ``"999"`` -> ns.
_MILLIS: dict[str, int] = {f"{ms:03d}": ms * 1_000_000 for ms in range(1000)}
# A decimal number: sign, integer digits, fraction digits, exponent.
_NUM_RE = re.compile(r"\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*", re.ASCII)


class TimestampError(ValueError):
    """A timestamp value cannot be read in the requested format."""


def _fail(value: Any, fmt: str, why: str = "") -> TimestampError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    detail = f": {why}" if why else ""
    return TimestampError(f"cannot read timestamp {shown} as {fmt}{detail}")


def _iso_seconds(head: str) -> int | None:
    """ns of ``YYYY-MM-DD[T ]HH:MM:SS`` (UTC), cached; ``None`` for anything else."""
    ns = _SECONDS.get(head)
    if ns is None:
        if _ISO_SECONDS_RE.fullmatch(head) is None:
            return None
        try:
            ns = _iso_pattern(head)
        except TimestampError:
            return None
        if len(_SECONDS) >= _MAX_SECONDS:
            _SECONDS.clear()
        _SECONDS[head] = ns
    return ns


def _iso_millis(value: str) -> int | None:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ``, the form most ECS data uses, to ns from two cached
    lookups (the second, and the milliseconds); ``None`` for any other form."""
    if len(value) != 24 or value[23] != "Z" or value[19] != ".":
        return None
    millis = _MILLIS.get(value[20:23])
    if millis is None:
        return None
    base = _SECONDS.get(value[:19])
    if base is None:
        base = _iso_seconds(value[:19])
        if base is None:
            return None
    return base + millis


def _iso(value: Any) -> int:
    """ISO-8601 string -> ns.

    Fastest path: :func:`_iso_millis`. Then :meth:`datetime.fromisoformat` (C code; on Python
    3.11+ it reads ``Z``, offsets and the space separator), with the fraction re-read exactly
    when it has more than 6 digits. Otherwise the pattern :data:`_ISO_RE`, then a generic
    fallback.
    """
    if type(value) is not str:
        raise _fail(value, "iso8601", "expected a string")
    ns = _iso_millis(value)
    if ns is not None:
        return ns
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return _iso_pattern(value)
    # More than 6 fraction digits: fromisoformat truncated them to microseconds.
    if len(value) >= 27 and value[19] in ".," and value[26].isdigit():
        return _iso_pattern(value)
    delta = dt - (_EPOCH_NAIVE if dt.tzinfo is None else _EPOCH)
    return (delta.days * 86400 + delta.seconds) * _NS_PER_S + delta.microseconds * 1000


def _iso_pattern(value: str) -> int:
    """ISO-8601 by :data:`_ISO_RE`, exact to the nanosecond; other forms go to the generic path."""
    m = _ISO_RE.fullmatch(value)
    if m is None:
        return _iso_generic(value)
    y, mo, d, h, mi, s, frac, _z, sign, oh, om = m.groups()
    try:
        days = date(int(y), int(mo), int(d)).toordinal() - _EPOCH_ORDINAL
    except ValueError as exc:
        raise _fail(value, "iso8601", str(exc)) from None
    secs = days * 86400
    if h is not None:
        hour, minute = int(h), int(mi)
        second = int(s) if s is not None else 0
        if hour > 23 or minute > 59 or second > 59:
            raise _fail(value, "iso8601", "time of day out of range")
        secs += hour * 3600 + minute * 60 + second
    if sign is not None:
        off_h, off_m = int(oh), int(om) if om is not None else 0
        if off_h > 23 or off_m > 59:
            raise _fail(value, "iso8601", "UTC offset out of range")
        off = off_h * 3600 + off_m * 60
        secs += -off if sign == "+" else off
    ns = secs * _NS_PER_S
    if frac:
        ns += int(frac[:9].ljust(9, "0"))
    return ns


def _iso_generic(value: str) -> int:
    """The slow path for ISO forms neither fast path covers (e.g. basic format on Python 3.10)."""
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _fail(value, "iso8601", "not an ISO-8601 date-time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    delta = dt - _EPOCH
    return (delta.days * 86400 + delta.seconds) * _NS_PER_S + delta.microseconds * 1000


def _decimal_scaled(value: Any, exp10: int, fmt: str) -> int:
    """A number or numeric string times ``10 ** exp10``, floored to an integer, exactly."""
    kind = type(value)
    if kind is int:
        return value * 10**exp10 if exp10 >= 0 else value // 10**-exp10
    if kind is float:
        if not math.isfinite(value):
            raise _fail(value, fmt, "not a finite number")
        if value.is_integer() and exp10 >= 0:
            return int(value) * 10**exp10
        text = repr(value)
    elif kind is str:
        if value.isdigit() and value.isascii():
            digits = int(value)
            return digits * 10**exp10 if exp10 >= 0 else digits // 10**-exp10
        text = value
    elif isinstance(value, int) and not isinstance(value, bool):
        return _decimal_scaled(int(value), exp10, fmt)
    else:
        raise _fail(value, fmt, "expected a number or a numeric string")
    m = _NUM_RE.fullmatch(text)
    if m is None or not (m.group(2) or m.group(3)):
        raise _fail(value, fmt, "not a number")
    sign, whole, frac, exp = m.groups()
    frac = frac or ""
    digits = int(whole + frac) if (whole or frac) else 0
    scale = exp10 - len(frac) + (int(exp) if exp else 0)
    if abs(scale) > 400:
        raise _fail(value, fmt, "exponent out of range")
    if sign == "-":
        digits = -digits
    return digits * 10**scale if scale >= 0 else digits // 10**-scale


def _epoch_s(value: Any) -> int:
    return _decimal_scaled(value, 9, "epoch_s")


def _epoch_ms(value: Any) -> int:
    if type(value) is int:
        return value * 1_000_000
    return _decimal_scaled(value, 6, "epoch_ms")


def _epoch_ns(value: Any) -> int:
    if type(value) is int:
        return value
    return _decimal_scaled(value, 0, "epoch_ns")


def _filetime(value: Any) -> int:
    ticks = value if type(value) is int else _decimal_scaled(value, 0, "filetime")
    return (ticks - _FILETIME_EPOCH_TICKS) * 100


def _auto(value: Any) -> int:
    if type(value) is str:
        ns = _iso_millis(value)
        if ns is not None:
            return ns
        # An ISO date has "-" at index 4; a numeric string never does.
        if value[4:5] == "-":
            return _iso(value)
        try:
            return _decimal_scaled(value, 6, "epoch_ms")
        except TimestampError:
            try:
                return _iso(value)
            except TimestampError:
                raise _fail(value, "auto", "neither ISO-8601 nor epoch milliseconds") from None
    if type(value) is int:
        return value * 1_000_000
    return _decimal_scaled(value, 6, "auto")


_PARSERS: dict[str, Callable[[Any], int]] = {
    "auto": _auto,
    "iso8601": _iso,
    "epoch_s": _epoch_s,
    "epoch_ms": _epoch_ms,
    "epoch_ns": _epoch_ns,
    "filetime": _filetime,
}


def get_parser(fmt: str) -> Callable[[Any], int]:
    """The parser function for ``fmt`` (one of :data:`FORMATS`): ``value -> ns``.

    Look it up once and call it per event. Raises :class:`ValueError` for an unknown format.
    """
    try:
        return _PARSERS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown timestamp format {fmt!r}: use one of {', '.join(FORMATS)}"
        ) from None


def parse_timestamp(value: Any, fmt: str = "auto") -> int:
    """Parse ``value`` in format ``fmt`` to integer nanoseconds since the Unix epoch.

    >>> parse_timestamp("2018-12-04T00:42:45.727Z")
    1543884165727000000
    >>> parse_timestamp(131883575587910000, "filetime")
    1543883958791000000

    Raises :class:`TimestampError` (a :class:`ValueError`) when ``value`` cannot be read.
    """
    return get_parser(fmt)(value)
