"""Delivering alerts to sinks: retries, then counting what could not be delivered."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from kestrel_core.alerts import Alert


class SinkDelivery:
    """Wraps one sink: ``send`` is retried ``retries`` times with a growing pause; alerts that still
    fail are counted in ``failed`` and reported once per failure streak; never raises."""

    def __init__(
        self,
        name: str,
        sink: Any,
        retries: int = 3,
        backoff_s: float = 0.05,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.name = name
        self.sink = sink
        self.retries = retries
        self.backoff_s = backoff_s
        self.delivered = 0
        self.failed = 0
        self.retried = 0
        self.last_error: str | None = None
        self._report = report or (lambda m: print(m, file=sys.stderr))
        self._failing = False

    def send(self, alerts: Sequence[Alert]) -> None:
        """Send with retries; count the batch as failed if every attempt raises."""
        if not alerts:
            return
        for attempt in range(self.retries + 1):
            try:
                self.sink.send(alerts)
            except Exception as exc:  # a sink's failure must not stop detection
                self.last_error = f"{type(exc).__name__}: {exc}"
                if attempt < self.retries:
                    self.retried += 1
                    time.sleep(self.backoff_s * (2**attempt))
                    continue
                self.failed += len(alerts)
                if not self._failing:
                    self._report(
                        f"kestrel: sink {self.name!r} failed after {self.retries + 1} attempts: "
                        f"{self.last_error}; {len(alerts)} alerts not delivered (counted in stats)"
                    )
                self._failing = True
                return
            else:
                self.delivered += len(alerts)
                self._failing = False
                return

    def flush(self) -> None:
        """Flush the sink, reporting (not raising) a failure."""
        self._call("flush")

    def close(self) -> None:
        """Close the sink, reporting (not raising) a failure."""
        self._call("close")

    def _call(self, method: str) -> None:
        try:
            getattr(self.sink, method)()
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"
            self._report(f"kestrel: sink {self.name!r} {method} failed: {self.last_error}")

    def stats(self) -> dict[str, Any]:
        """Counters for the stats JSON (plus the sink's own ``stats()``, if it has one)."""
        out: dict[str, Any] = {
            "delivered": self.delivered,
            "failed": self.failed,
            "retried": self.retried,
            "last_error": self.last_error,
        }
        own = getattr(self.sink, "stats", None)
        if callable(own):
            try:
                out.update(own())
            except Exception as exc:  # a sink's stats must not break the engine's
                out["stats_error"] = repr(exc)
        return out
