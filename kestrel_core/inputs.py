"""Reading event files (or stdin) into normalized events, setting malformed records aside."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from kestrel_core.builtins.sources import list_event_files
from kestrel_core.events.decoders import iter_records
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


def read_events(
    paths: Iterable[str],
    schema: Any,
    stats: InputStats | None = None,
    report: Reporter = _stderr,
    dead_letter: Any = None,
    max_reports: int = 20,
) -> Iterator[Event]:
    """Decode and normalize every record of ``paths`` (``-`` or none: stdin), in order.

    A record that does not decode or normalize is counted in ``stats.malformed``, reported (the
    first ``max_reports`` with file and line, then a count), written to ``dead_letter`` if given,
    and skipped: it never stops the stream.
    """
    stats = stats if stats is not None else InputStats()
    sources = expand_paths(paths) or ["-"]
    seq = 0
    reported = 0
    for src in sources:
        if src == "-":
            records = iter_records(sys.stdin.buffer, name="<stdin>")
        else:
            records = iter_records(Path(src), name=src)
        for rec in records:
            stats.received += 1
            error = rec.error
            event = None
            if error is None:
                try:
                    event = schema.normalize(rec.record, seq=seq, origin=rec.origin)
                except ValueError as exc:
                    error = str(exc)
            if event is None:
                stats.malformed += 1
                if reported < max_reports:
                    report(f"kestrel: malformed event at {rec.origin}: {error}")
                elif reported == max_reports:
                    report("kestrel: more malformed events; see the stats for the count")
                reported += 1
                if dead_letter is not None:
                    rec.error = error
                    dead_letter.write(rec)
                continue
            stats.decoded += 1
            seq += 1
            yield event
