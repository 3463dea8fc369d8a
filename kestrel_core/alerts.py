"""The alert model and deterministic alert ids."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

import attrs
import orjson


def event_identity(record: Any) -> bytes:
    """A stable identity for an evidence record: its canonical JSON (sorted keys)."""
    if record is None:
        return b"null"
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def alert_id(rule_id: str, records: list[Any]) -> str:
    """Deterministic id: the same rule firing on the same evidence always gets the same id, so a
    replay after a restart can be de-duplicated by sinks that remember what they delivered."""
    h = hashlib.blake2b(digest_size=16)
    h.update(rule_id.encode())
    for rec in records:
        h.update(b"\x1e")
        h.update(event_identity(rec))
    return h.hexdigest()


def format_ns(ns: int | None) -> str | None:
    """Nanoseconds since the epoch as ISO-8601 UTC with as many fraction digits as needed."""
    if ns is None:
        return None
    secs, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        digits = f"{frac:09d}".rstrip("0")
        if len(digits) <= 3:
            digits = digits.ljust(3, "0")
        elif len(digits) <= 6:
            digits = digits.ljust(6, "0")
        else:
            digits = digits.ljust(9, "0")
        return f"{base}.{digits}Z"
    return f"{base}Z"


@attrs.define(frozen=True)
class Alert:
    """A rule fired: metadata and the evidence events (original records; ``None`` for a
    missing-event slot)."""

    alert_id: str
    rule_id: str
    rule_name: str
    severity: str
    timestamp: int | None
    join_keys: tuple[Any, ...]
    events: tuple[Any, ...]
    risk_score: int | None = None
    tags: tuple[str, ...] = ()
    threat: tuple[Any, ...] = ()
    runtime: str | None = None
    #: What a rule package's ``pred_capture`` returned (hand-written Wasm and Lua rules).
    captures: Any = None
    #: ``count``, ``key``, ``percent`` of an aggregating pipe (``| count``, ``| unique_count``).
    aggregates: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape sinks write (the ``kestrel run`` stdout contract)."""
        out = {
            "alert_id": self.alert_id,
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "severity": self.severity,
            "risk_score": self.risk_score,
            "timestamp": format_ns(self.timestamp),
            "join_keys": list(self.join_keys),
            "tags": list(self.tags),
            "threat": list(self.threat),
            "runtime": self.runtime,
            "events": list(self.events),
        }
        if self.captures is not None:
            out["captures"] = self.captures
        if self.aggregates:
            out.update(self.aggregates)
        return out
