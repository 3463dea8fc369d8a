"""The record the engine returns for each completed sequence or sample."""

from __future__ import annotations

from typing import Any

import attrs

from kestrel_core.events.model import Event


@attrs.frozen
class Match:
    """A completed sequence or sample of one rule.

    ``events`` holds one event per step in step order (a ``runs=N`` step contributes N), ``None``
    for a missing-event slot (``![...]``). ``join_keys`` are the key values the events joined on
    (``None`` for a null optional key), positionally as the rule's ``by`` clauses list them.
    """

    rule_id: str
    events: tuple[Event | None, ...]
    join_keys: tuple[Any, ...]

    @property
    def last_event(self) -> Event | None:
        """The last event that is present: what ``kestrel query`` orders sequences by."""
        for event in reversed(self.events):
            if event is not None:
                return event
        return None
