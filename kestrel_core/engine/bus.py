"""The event bus: a reader thread fills a bounded queue of batches; detection drains it.

Reading (decode + normalize) and detection overlap, and a burst the detector cannot keep up with
meets an explicit policy: ``block`` (the default) makes the reader wait, so nothing is lost;
``drop`` discards the batch that does not fit and counts it (events and batches), for live
sources where falling behind is worse than losing events. Each batch carries the reader's
position after its last event, so a checkpoint never claims events that are still queued.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import attrs

from kestrel_core.events.model import Event
from kestrel_core.runtime.api import DEFAULT_BATCH

POLICIES = ("block", "drop")


@attrs.define
class Batch:
    """Events read together, and where the reader was after the last of them."""

    events: list[Event]
    position: Any = None


@attrs.define
class BusStats:
    """Counters of the bus."""

    batches: int = 0
    dropped_batches: int = 0
    dropped_events: int = 0
    max_depth: int = 0


_END = object()


class EventBus:
    """Runs ``reader`` (an :class:`~kestrel_core.inputs.EventReader`, or any iterable of events
    in which ``None`` means "nothing new for now") on a thread and yields :class:`Batch`\\ es.

    A batch is cut at ``batch_size`` events, or when the reader reports idle (``None``) so a
    followed file's events are detected promptly. ``threaded=False`` reads in the caller's
    thread instead, batch by batch (for files: with the GIL, a reader thread only adds switching
    cost when nothing blocks on I/O); the queue policy then never applies.
    """

    def __init__(
        self,
        reader: Any,
        batch_size: int = 1024,
        queue_size: int = 16,
        policy: str = "block",
        threaded: bool = True,
    ) -> None:
        if policy not in POLICIES:
            raise ValueError(f"queue policy must be one of {', '.join(POLICIES)}, not {policy!r}")
        self.reader = reader
        self.batch_size = batch_size
        self.policy = policy
        self.threaded = threaded
        self.stats = BusStats()
        # ``queue_size`` counts batches of 1,024 events: smaller batches queue proportionally
        # more, so the events the reader may hold ahead does not depend on the batch size.
        scale = max(1, DEFAULT_BATCH // max(1, batch_size))
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, queue_size) * scale)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="kestrel-reader", daemon=True)
        self._stopping = False

    def _position(self) -> Any:
        position = getattr(self.reader, "position", None)
        return position() if callable(position) else None

    def _put(self, batch: Batch) -> None:
        stats = self.stats
        stats.batches += 1
        if self.policy == "drop":
            try:
                self._queue.put_nowait(batch)
            except queue.Full:
                stats.dropped_batches += 1
                stats.dropped_events += len(batch.events)
                return
        else:
            while not self._stopping:
                try:
                    self._queue.put(batch, timeout=0.1)
                    break
                except queue.Full:
                    continue
        stats.max_depth = max(stats.max_depth, self._queue.qsize())

    def _run(self) -> None:
        try:
            for batch in self._batches():
                self._put(batch)
        except BaseException as exc:  # handed to the consumer, raised there
            self._error = exc
        finally:
            while True:
                try:
                    self._queue.put(_END, timeout=0.1)
                    break
                except queue.Full:
                    if self._stopping:
                        time.sleep(0.05)

    def _batches(self) -> Iterator[Batch]:
        """The batches as the reader cuts them (its ``batches`` method, see
        :meth:`~kestrel_core.inputs.EventReader.batches`), or cut here from its events."""
        batches = getattr(self.reader, "batches", None)
        lists = batches(self.batch_size) if callable(batches) else self._cut()
        for events in lists:
            if events:
                yield Batch(events, self._position())

    def _cut(self) -> Iterator[list[Event]]:
        """Lists of the reader's events: full ones, and what is pending when it goes idle."""
        batch: list[Event] = []
        for event in self.reader:
            if event is None:
                if batch:
                    yield batch
                    batch = []
                continue
            batch.append(event)
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def __iter__(self) -> Iterator[Batch]:
        if not self.threaded:
            for batch in self._batches():
                self.stats.batches += 1
                yield batch
            return
        self._thread.start()
        while True:
            item = self._queue.get()
            if item is _END:
                break
            yield item
        self._thread.join()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        """Ask the reader to stop; queued batches are still delivered."""
        self._stopping = True
        stop = getattr(self.reader, "stop", None)
        if callable(stop):
            stop()
