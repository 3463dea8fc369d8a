"""Alert latency without touching the engine: time stamps on the way in and on the way out.

:func:`timed` wraps the event iterator the engine reads from and notes ``perf_counter()`` when each
event is handed over, keyed by the identity of its original record. :class:`LatencySink` is an
ordinary alert sink: on ``send`` it notes the time again and, for each alert, looks up the read
time of the alert's last evidence record (the same object the engine carries as evidence).

Identities can be reused once a record is freed, but a record is alive while an alert carries it,
and a reused identity always belongs to the most recently read record, so the lookup is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from time import perf_counter
from typing import Any


class ReadTimes:
    """When each record was read, by ``id(record)``."""

    def __init__(self) -> None:
        self.at: dict[int, float] = {}

    def timed(self, events: Iterable[Any]) -> Iterator[Any]:
        """Yield ``events`` unchanged, noting when each was read."""
        at = self.at
        clock = perf_counter
        for event in events:
            at[id(event.record)] = clock()
            yield event


class LatencySink:
    """Collects ``send time - read time of the last evidence event`` per alert, in seconds."""

    def __init__(self, read_times: ReadTimes) -> None:
        self.read_times = read_times
        self.latencies: list[float] = []
        self.unmatched = 0

    def send(self, alerts: Sequence[Any]) -> None:
        """Note the latency of every alert of the batch."""
        now = perf_counter()
        at = self.read_times.at
        for alert in alerts:
            last = next((r for r in reversed(alert.events) if r is not None), None)
            read = at.get(id(last)) if last is not None else None
            if read is None:
                self.unmatched += 1
            else:
                self.latencies.append(now - read)

    def flush(self) -> None:
        """Nothing buffered."""

    def close(self) -> None:
        """Nothing to release."""


class CountingSink:
    """Counts alerts and drops them: the cheapest sink, so the engine is what is measured."""

    def __init__(self) -> None:
        self.alerts = 0

    def send(self, alerts: Sequence[Any]) -> None:
        """Count the batch."""
        self.alerts += len(alerts)

    def flush(self) -> None:
        """Nothing buffered."""

    def close(self) -> None:
        """Nothing to release."""


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by nearest rank; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]
