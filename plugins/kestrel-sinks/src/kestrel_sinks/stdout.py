"""The ``stdout`` sink: one alert per line as JSON (the ``kestrel run`` stdout contract)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO

import orjson

from kestrel_core.alerts import Alert


class StdoutSink:
    """Write alerts to standard output as JSON lines (at-least-once across restarts)."""

    def __init__(self, stream: IO[bytes] | None = None, flush_each: bool = True) -> None:
        self._stream = stream if stream is not None else sys.stdout.buffer
        self._flush_each = flush_each
        self.sent = 0

    def send(self, alerts: Sequence[Alert]) -> None:
        """Write each alert as one line."""
        if not alerts:
            return
        self._stream.write(b"".join(orjson.dumps(a.to_dict()) + b"\n" for a in alerts))
        self.sent += len(alerts)
        if self._flush_each:
            self._stream.flush()

    def flush(self) -> None:
        """Flush the stream."""
        self._stream.flush()

    def close(self) -> None:
        """Flush; standard output itself stays open."""
        self.flush()
