"""Reading event files (or stdin) into normalized events, setting malformed records aside."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from kestrel_core.builtins.sources import list_event_files
from kestrel_core.events.decoders import iter_records
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
    between two events; a reader given that position as ``resume`` skips what was consumed, so a
    restart continues where a checkpoint was taken (a file whose inode changed is read afresh).
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
        self.dead_letter = dead_letter
        self.max_reports = max_reports
        self.resume = resume
        self.stopped = False
        self._index = 0
        self._records = 0
        self._inode: int | None = None
        self._seq = int(resume.get("seq", 0)) if resume else 0
        self._reported = 0

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
        for index, src in enumerate(self.files):
            if self.stopped:
                return
            inode = None
            if src != "-":
                inode = Path(src).stat().st_ino
            skip = self._skip_for(index, inode)
            if skip is None:
                continue
            self._index, self._inode, self._records = index, inode, 0
            records: Iterable[Any]
            if src == "-":
                records = iter_records(sys.stdin.buffer, name="<stdin>")
            elif self.follow:
                records = follow_records(src, lambda: self.stopped)
            else:
                records = iter_records(Path(src), name=src)
            for rec in records:
                if rec is None:
                    yield None  # type: ignore[misc] - idle marker while following
                    continue
                self._records += 1
                if self._records <= skip:
                    continue
                event = self._event(rec)
                if event is not None:
                    yield event
                if self.stopped:
                    return

    def _event(self, rec: Any) -> Event | None:
        stats = self.stats
        stats.received += 1
        error = rec.error
        if error is None:
            try:
                event = self.schema.normalize(rec.record, seq=self._seq, origin=rec.origin)
            except ValueError as exc:
                error = str(exc)
            else:
                stats.decoded += 1
                self._seq += 1
                return event
        stats.malformed += 1
        if self._reported < self.max_reports:
            self.report(f"kestrel: malformed event at {rec.origin}: {error}")
        elif self._reported == self.max_reports:
            self.report("kestrel: more malformed events; see the stats for the count")
        self._reported += 1
        if self.dead_letter is not None:
            rec.error = error
            self.dead_letter.write(rec)
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
