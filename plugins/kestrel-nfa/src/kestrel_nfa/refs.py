"""Event references: how partial matches hold their events as plain data.

A reference is a tuple ``(timestamp, tiebreaker, seq, serial, categories, record, origin)``:
picklable, and JSON-able whenever the record is, so a durable store can checkpoint it. ``serial``
is the engine's own arrival counter; it tells two events apart even when the caller leaves
``Event.seq`` at 0. Matches carry events rebuilt from references: ``record``, ``timestamp``,
``tiebreaker``, ``seq``, ``categories`` and ``origin`` are the original's; ``fields`` is the record
when the record is a mapping (the rule-matching view of evtx-dump Sysmon records is not kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kestrel_core.events.model import Event

EventRef = tuple[Any, ...]
TIMESTAMP, TIEBREAKER, SEQ, SERIAL, CATEGORIES, RECORD, ORIGIN = range(7)


def make_ref(event: Event, serial: int) -> EventRef:
    """The reference kept in partial matches for ``event``."""
    return (
        event.timestamp,
        event.tiebreaker,
        event.seq,
        serial,
        event.categories,
        event.record,
        event.origin,
    )


def to_event(ref: EventRef) -> Event:
    """Rebuild an :class:`Event` from a reference (for a :class:`~kestrel_nfa.match.Match`)."""
    record = ref[RECORD]
    return Event(
        categories=tuple(ref[CATEGORIES]),
        timestamp=ref[TIMESTAMP],
        tiebreaker=ref[TIEBREAKER],
        fields=record if isinstance(record, Mapping) else {},
        record=record,
        seq=ref[SEQ],
        origin=ref[ORIGIN],
    )
