"""Reading event files (or stdin) into normalized events, setting malformed records aside."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import attrs
import orjson

from kestrel_core.builtins.sources import list_event_files
from kestrel_core.events.decoders import (
    DecodedRecord,
    LineFallback,
    iter_records,
    open_source,
)
from kestrel_core.events.follow import follow_records
from kestrel_core.events.model import Event


@attrs.define
class InputStats:
    """How many records were read, decoded into events, and set aside as malformed."""

    received: int = 0
    decoded: int = 0
    malformed: int = 0

    def to_dict(self) -> dict[str, int]:
        """For the stats JSON."""
        return attrs.asdict(self)


Reporter = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


class MalformedLog:
    """Where records that are not events go: counted in ``stats.malformed``, reported (the first
    ``max_reports`` with where they are, then one note), and written to ``dead_letter`` if any."""

    def __init__(
        self, stats: InputStats, report: Reporter, dead_letter: Any = None, max_reports: int = 20
    ) -> None:
        self.stats = stats
        self.report = report
        self.dead_letter = dead_letter
        self.max_reports = max_reports
        self.reported = 0

    def add(self, rec: DecodedRecord, error: str) -> None:
        """Set ``rec`` aside for ``error``."""
        self.stats.malformed += 1
        if self.reported < self.max_reports:
            self.report(f"kestrel: malformed event at {rec.origin}: {error}")
        elif self.reported == self.max_reports:
            self.report("kestrel: more malformed events; see the stats for the count")
        self.reported += 1
        if self.dead_letter is not None:
            rec.error = error
            self.dead_letter.write(rec)


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Files as given (``-``: stdin); a folder becomes its event files, in name order."""
    out: list[str] = []
    for src in paths:
        if src == "-":
            out.append(src)
        else:
            out.extend(str(p) for p in list_event_files(Path(src)))
    return out


class EventReader:
    """Decodes and normalizes every record of ``paths`` (``-`` or none: stdin), in order.

    A record that does not decode or normalize is counted in ``stats.malformed``, reported (the
    first ``max_reports`` with file and line, then a count), written to ``dead_letter`` if given,
    and skipped: it never stops the stream.

    :meth:`position` says how far reading got (file, inode, records consumed), at any point
    between two batches of :meth:`batches` (or events of the iterator); a reader given that
    position as ``resume`` skips what was consumed, so a restart continues where a checkpoint
    was taken (a file whose inode changed is read afresh).

    Plain NDJSON files take one lean path (:meth:`_line_batches`): each line goes to
    ``orjson.loads`` and the schema's normalizer, straight into the batch; only lines that are
    not JSON objects by themselves go through the general decoders. Gzip, arrays, stdin and
    followed files are read by :func:`~kestrel_core.events.decoders.iter_records` and
    :func:`~kestrel_core.events.follow.follow_records`.
    """

    def __init__(
        self,
        paths: Iterable[str],
        schema: Any,
        stats: InputStats | None = None,
        report: Reporter = _stderr,
        *,
        dead_letter: Any = None,
        max_reports: int = 20,
        resume: dict[str, Any] | None = None,
        follow: bool = False,
    ) -> None:
        self.follow = follow
        self.files = (list(paths) if follow else expand_paths(paths)) or ["-"]
        self.schema = schema
        self.stats = stats if stats is not None else InputStats()
        self.report = report
        self.malformed = MalformedLog(self.stats, report, dead_letter, max_reports)
        self.resume = resume
        self.stopped = False
        self._index = 0
        self._records = 0
        self._skip = 0
        self._inode: int | None = None
        self._seq = int(resume.get("seq", 0)) if resume else 0

    def position(self) -> dict[str, Any]:
        """Where reading is: the file list, the current file's index and inode, the records of
        it consumed so far, and the next event's arrival number."""
        return {
            "files": self.files,
            "index": self._index,
            "inode": self._inode,
            "records": self._records,
            "seq": self._seq,
        }

    def stop(self) -> None:
        """Stop after the current record (a signal handler calls this)."""
        self.stopped = True

    def _skip_for(self, index: int, inode: int | None) -> int | None:
        """Records to skip in file ``index`` when resuming (None: skip the whole file)."""
        r = self.resume
        if not r or r.get("files") != self.files:
            return 0
        if index < r["index"]:
            return None
        if index == r["index"] and r.get("inode") == inode:
            return int(r["records"])
        if index == r["index"]:
            self.report(
                f"kestrel: {self.files[index]} changed since the checkpoint (new inode); "
                "reading it from the start"
            )
        return 0

    def __iter__(self) -> Iterator[Event]:
        """Every event in order. With ``follow``, also ``None`` whenever nothing new arrived."""
        for batch in self.batches(256):
            if batch:
                yield from batch
            elif self.follow:
                yield None  # type: ignore[misc] - idle marker while following

    def batches(self, size: int = 1024) -> Iterator[list[Event]]:
        """The events in order, in lists of at most ``size``.

        A list is cut when it is full, at the end of each file, when reading stops, and (an
        empty list when nothing is pending) whenever a followed file has nothing new.
        :meth:`position` is exact right after each list.
        """
        for index, src in enumerate(self.files):
            if self.stopped:
                return
            inode = None if src == "-" else Path(src).stat().st_ino
            skip = self._skip_for(index, inode)
            if skip is None:
                continue
            self._index, self._inode, self._records, self._skip = index, inode, 0, skip
            fh = None if src == "-" or self.follow else open_source(src)
            if fh is None:
                yield from self._record_batches(self._records_of(src), size)
            else:
                with fh:
                    yield from self._line_batches(fh, src, size)

    def _records_of(self, src: str) -> Iterable[DecodedRecord | None]:
        if src == "-":
            return iter_records(sys.stdin.buffer, name="<stdin>")
        if self.follow:
            return follow_records(src, lambda: self.stopped)
        return iter_records(Path(src), name=src)

    def _record_batches(
        self, records: Iterable[DecodedRecord | None], size: int
    ) -> Iterator[list[Event]]:
        """Batches of decoded records (``None``: idle while following)."""
        batch: list[Event] = []
        skip = self._skip
        for rec in records:
            if rec is None:
                yield batch
                batch = []
                continue
            self._records += 1
            if self._records <= skip:
                continue
            event = self._event(rec)
            if event is not None:
                batch.append(event)
                if len(batch) >= size:
                    yield batch
                    batch = []
            if self.stopped:
                break
        if batch:
            yield batch

    def _line_batches(self, fh: BinaryIO, name: str, size: int) -> Iterator[list[Event]]:
        """The lean path for a plain NDJSON file: orjson and the normalizer, per line.

        ``records`` and ``seq`` are kept in locals and published (:meth:`_advance`, which also
        counts them in the stats) before each batch is handed out and when the file ends.
        """
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        normalize = self.schema.normalizer
        fallback = LineFallback(name)
        skip = self._skip
        records, seq = self._records, self._seq
        batch: list[Event] = []
        lineno = 0
        read_error = None
        idle = True  # fallback.idle, kept in a local: only fallback.feed changes it
        try:
            try:
                for line in fh:
                    lineno += 1
                    if idle:
                        try:
                            value = loads(line)
                        except decode_error:
                            value = None
                        if type(value) is dict:
                            records += 1
                            if records > skip:
                                try:
                                    batch.append(normalize(value, seq, f"{name}:{lineno}"))
                                    seq += 1
                                except ValueError as exc:
                                    rec = DecodedRecord(value, line, name, lineno)
                                    self.malformed.add(rec, str(exc))
                            if len(batch) >= size or self.stopped:
                                self._advance(records, seq)
                                if batch:
                                    yield batch
                                    batch = []
                                if self.stopped:
                                    return
                            continue
                    for rec in fallback.feed(line, lineno):
                        records, seq = self._fallback(rec, batch, records, seq)
                    idle = fallback.idle
            except OSError as exc:
                read_error = DecodedRecord(None, b"", name, "", f"cannot read {name}: {exc}")
            for rec in fallback.finish():
                records, seq = self._fallback(rec, batch, records, seq)
            if read_error is not None:
                records, seq = self._fallback(read_error, batch, records, seq)
        finally:
            self._advance(records, seq)
        if batch:
            yield batch

    def _fallback(
        self, rec: DecodedRecord, batch: list[Event], records: int, seq: int
    ) -> tuple[int, int]:
        """A record of the general decoders met on the lean path: normalized into ``batch``
        or set aside; returns the new ``(records, seq)``."""
        records += 1
        if records > self._skip:
            event = self._normalized(rec, seq)
            if event is not None:
                batch.append(event)
                seq += 1
        return records, seq

    def _advance(self, records: int, seq: int) -> None:
        """Publish the lean path's progress: position, and received/decoded in the stats."""
        skip = self._skip
        stats = self.stats
        stats.received += max(0, records - skip) - max(0, self._records - skip)
        stats.decoded += seq - self._seq
        self._records, self._seq = records, seq

    def _event(self, rec: DecodedRecord) -> Event | None:
        """Count ``rec`` and normalize it (``None`` when it is malformed)."""
        stats = self.stats
        stats.received += 1
        event = self._normalized(rec, self._seq)
        if event is not None:
            stats.decoded += 1
            self._seq += 1
        return event

    def _normalized(self, rec: DecodedRecord, seq: int) -> Event | None:
        """The event of ``rec`` with arrival number ``seq``, or ``None`` (set aside)."""
        error = rec.error
        if error is None:
            try:
                return self.schema.normalize(rec.record, seq=seq, origin=rec.origin)
            except ValueError as exc:
                error = str(exc)
        self.malformed.add(rec, error)
        return None


def read_events(
    paths: Iterable[str],
    schema: Any,
    stats: InputStats | None = None,
    report: Reporter = _stderr,
    dead_letter: Any = None,
    max_reports: int = 20,
) -> Iterator[Event]:
    """Every event of ``paths`` in order (see :class:`EventReader`)."""
    return iter(
        EventReader(
            paths, schema, stats, report, dead_letter=dead_letter, max_reports=max_reports
        )
    )
