"""The normalized event every stage after the decoder works on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from kestrel_core.events.fields import lookup


@attrs.define(slots=True)
class Event:
    """One decoded event.

    ``fields`` is the view rules match against (for most schemas the decoded record itself; for
    evtx-dump Sysmon records a flattened view). ``record`` is the original record, kept as the
    evidence an alert carries. ``timestamp`` is integer nanoseconds since the Unix epoch or
    ``None``. ``categories`` holds every category the event belongs to (ECS allows several).
    ``seq`` is the arrival index, used as the last sort key so ordering is stable.
    """

    categories: tuple[str, ...]
    timestamp: int | None
    tiebreaker: Any
    fields: Mapping[str, Any]
    record: Any
    seq: int = 0
    origin: str | None = None

    def get(self, path: str | tuple[str | int, ...]) -> Any:
        """The value at a dotted path (``"process.name"``) or path tuple; ``None`` if missing."""
        if isinstance(path, str):
            path = tuple(path.split("."))
        return lookup(self.fields, path)

    def sort_key(self) -> tuple[int, int, Any, int]:
        """(has timestamp, timestamp, tiebreaker, arrival): the order ``kestrel query`` sorts by.

        Events without a timestamp sort first, by tiebreaker; ``None`` tiebreakers sort first.
        """
        tb = self.tiebreaker
        return (
            0 if self.timestamp is None else 1,
            self.timestamp or 0,
            (0, 0) if tb is None else (1, tb) if isinstance(tb, (int, float)) else (2, str(tb)),
            self.seq,
        )
