"""Decoders: JSON arrays, NDJSON and concatenated JSON objects, optionally gzipped, to records.

:func:`iter_records` reads a path or a binary stream and yields a :class:`DecodedRecord` per
record. It never raises on bad data and never stops early: a record that is not valid JSON, is
truncated or is not a JSON object comes out with ``error`` set, is counted in
:class:`DecodeStats` and can be kept by a :class:`DeadLetter`.

Format detection, by the first non-space byte of the (decompressed) input:

- ``[``: a JSON array, read whole and decoded by orjson. A damaged array falls back to
  :class:`ObjectScanner` in array mode, so the good elements before and after the damage come out.
- ``{`` (or anything else): read line by line, never whole. A line that is a complete JSON value
  is one record (NDJSON). Otherwise :class:`ObjectScanner` finds object boundaries by brace depth
  (tracking strings and escapes), which reads pretty-printed objects one after another, several
  objects on one line, and any mix of these with NDJSON.

``origin`` is ``name:line`` (the line the record starts on) where the decoder knows it, and
``name[index]`` for the elements of a well-formed array (orjson reports no offsets).
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import attrs
import orjson

__all__ = [
    "DeadLetter",
    "DecodeStats",
    "DecodedRecord",
    "LineFallback",
    "ObjectScanner",
    "iter_records",
    "open_source",
    "origin_of",
]

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
# A JSON string (possibly unterminated at the end of the line), or one structural byte.
_TOKEN_RE = re.compile(rb'"(?:[^"\\\r\n]|\\.)*"?|[{}\[\]]')
_BRACKET_RE = re.compile(rb"[{}\[\]]")
_OPEN = frozenset(b"{[")
_CLOSE = frozenset(b"}]")
# What may stand between the elements of an array: whitespace, commas, brackets.
_ARRAY_GLUE_RE = re.compile(rb"[\s,\[\]]*")


class DecodedRecord:
    """One record read from a source: the decoded object, or the error that stopped it.

    ``record`` is the decoded JSON value (a dict) or ``None``; ``raw`` the bytes it was decoded
    from (for array elements decoded whole, re-encoded on first access); ``origin`` where it
    starts (``events.json:17`` or ``events.json[3]``); ``error`` ``None`` or a message.
    """

    __slots__ = ("_raw", "_where", "error", "name", "record")

    def __init__(
        self, record: Any, raw: bytes | None, name: str, where: int | str, error: str | None = None
    ) -> None:
        self.record = record
        self._raw = raw
        self.name = name
        self._where = where
        self.error = error

    @property
    def raw(self) -> bytes:
        """The record's bytes, without the line ending."""
        raw = self._raw
        if raw is None:
            raw = self._raw = orjson.dumps(self.record)
        elif raw[-1:] in (b"\n", b"\r"):
            raw = self._raw = raw.rstrip(b"\r\n")
        return raw

    @property
    def where(self) -> int | str:
        """The line the record starts on, or ``[index]`` for array elements."""
        return self._where

    @property
    def origin(self) -> str:
        """Where the record starts: ``name:line``, or ``name[index]`` for array elements."""
        return origin_of(self.name, self._where)

    @property
    def ok(self) -> bool:
        """True when the record decoded to a JSON object."""
        return self.error is None

    def __repr__(self) -> str:
        what = f"error={self.error!r}" if self.error else f"record={self.record!r}"
        return f"DecodedRecord({self.origin}, {what})"


@attrs.define
class DecodeStats:
    """Counts of what the decoders read: ``records`` decoded fine, ``malformed`` with an error."""

    records: int = 0
    malformed: int = 0

    @property
    def total(self) -> int:
        """Every record read, good or not."""
        return self.records + self.malformed

    def as_dict(self) -> dict[str, int]:
        """The counts as a JSON-ready dict."""
        return {"records": self.records, "malformed": self.malformed}


class DeadLetter:
    """Appends malformed records to an NDJSON file: ``{"origin", "error", "raw"}`` per line.

    ``raw`` is the record's bytes as text (invalid UTF-8 is backslash-escaped). The file is opened
    on the first write, so a clean run leaves none behind.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fh: BinaryIO | None = None
        self.count = 0

    def write(self, decoded: DecodedRecord) -> None:
        """Append one malformed record."""
        if self._fh is None:
            self._fh = open(self.path, "ab")  # noqa: SIM115 (kept open across writes)
        entry = {
            "origin": decoded.origin,
            "error": decoded.error,
            "raw": decoded.raw.decode("utf-8", "backslashreplace"),
        }
        self._fh.write(orjson.dumps(entry) + b"\n")
        self.count += 1

    def close(self) -> None:
        """Flush and close the file (if one was opened)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> DeadLetter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def origin_of(name: str, where: int | str) -> str:
    """``name:line`` for a line number, ``name[index]`` for an array element (``where="[3]"``)."""
    return f"{name}:{where}" if type(where) is int else f"{name}{where}"


def _decode(raw: bytes, name: str, where: int | str) -> DecodedRecord:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return DecodedRecord(None, raw, name, where, f"malformed JSON: {exc}")
    if type(value) is not dict:
        return DecodedRecord(None, raw, name, where, _not_object(value))
    return DecodedRecord(value, raw, name, where)


def _not_object(value: Any) -> str:
    kind = "null" if value is None else type(value).__name__
    return f"not a JSON object: {kind}"


class ObjectScanner:
    """Finds JSON objects in lines of text by brace depth, tracking strings and escapes.

    Feed it lines in order (:meth:`feed`), then call :meth:`finish`; both yield
    :class:`DecodedRecord`. It is incremental, so it serves streams and, later, tailing.

    Recovery: bytes outside any object come out as one malformed record per line; an object
    still open at the end of input is truncated. When a line starts with ``{`` at the column where
    top-level objects started (column 0 for NDJSON and pretty-printed dumps) while an object is
    still open, the open one is taken as truncated and scanning resumes with the new object.
    In ``array`` mode, commas and brackets between objects are glue, not junk.
    """

    def __init__(self, name: str, *, array: bool = False) -> None:
        self.name = name
        self.array = array
        self._depth = 0
        self._parts: list[bytes] = []  # the open object (or junk) so far
        self._start = 0  # line where it starts
        self._indent: int | None = None  # column of the first top-level object

    def feed(self, line: bytes, lineno: int) -> Iterator[DecodedRecord]:
        """Scan one line (with or without its line ending), yielding the records it completes."""
        if self._depth and self._indent is not None and self._restarts(line):
            yield self._truncated(f"a new object starts at line {lineno}")
        if self._depth and _BRACKET_RE.search(line) is None:
            # Most lines of a pretty-printed object: no bracket, so the depth cannot change.
            self._parts.append(line)
            return
        pos = 0  # end of the last object on this line
        begin = 0  # start of the open object on this line
        for m in _TOKEN_RE.finditer(line):
            first = line[m.start()]
            if self._depth == 0:
                if first != 0x7B:  # "{"; strings and brackets out here are stray text
                    continue
                begin = m.start()
                self._gap(line[pos:begin], lineno)
                if self._parts:
                    yield self._flush_junk()
                if self._indent is None:
                    self._indent = begin
                self._depth = 1
                self._start = lineno
            elif first in _OPEN:
                self._depth += 1
            elif first in _CLOSE:
                self._depth -= 1
                if self._depth == 0:
                    pos = m.end()
                    self._parts.append(line[begin:pos])
                    raw = b"".join(self._parts)
                    self._parts = []
                    yield _decode(raw, self.name, self._start)
        if self._depth:
            self._parts.append(line[begin:])
        else:
            self._gap(line[pos:], lineno)
            if self._parts:
                yield self._flush_junk()

    def finish(self) -> Iterator[DecodedRecord]:
        """End of input: an object still open comes out as truncated."""
        if self._depth:
            yield self._truncated("the input ends inside it")

    @property
    def idle(self) -> bool:
        """True between objects: nothing is open or pending."""
        return not self._depth and not self._parts

    def _restarts(self, line: bytes) -> bool:
        indent = self._indent or 0
        return line[indent : indent + 1] == b"{" and not line[:indent].strip()

    def _truncated(self, why: str) -> DecodedRecord:
        raw = b"".join(self._parts)
        self._parts = []
        self._depth = 0
        return DecodedRecord(None, raw, self.name, self._start, f"truncated JSON object: {why}")

    def _gap(self, text: bytes, lineno: int) -> None:
        """Bytes between objects: whitespace (and array glue) is fine, anything else is kept."""
        stripped = text.strip()
        if self.array and stripped:
            stripped = _ARRAY_GLUE_RE.sub(b"", stripped)
        if stripped:
            self._start = lineno
            self._parts.append(text)

    def _flush_junk(self) -> DecodedRecord:
        raw = b"".join(self._parts).strip()
        self._parts = []
        return DecodedRecord(None, raw, self.name, self._start, "not a JSON object: stray text")


class LineFallback:
    """Line mode for every line that is not a JSON object by itself.

    Line mode first tries ``orjson.loads`` on the whole line (NDJSON); the callers do that in
    their own loops, the fast path. A line that does not decode to an object, or any line while
    :attr:`idle` is false (an object spanning lines is open), goes to :meth:`feed`: a blank line
    is skipped, another JSON value is a malformed record, and the rest goes to an
    :class:`ObjectScanner` (pretty-printed objects, several objects on a line, damage).
    """

    __slots__ = ("name", "scanner")

    def __init__(self, name: str) -> None:
        self.name = name
        self.scanner = ObjectScanner(name)

    @property
    def idle(self) -> bool:
        """True when the next line may be tried as a whole (no object is open)."""
        return self.scanner.idle

    def feed(self, line: bytes, lineno: int) -> Iterator[DecodedRecord]:
        """The records completed by ``line`` (its number ``lineno``), in order."""
        scanner = self.scanner
        if scanner.idle:
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                if not line.strip():
                    return
            else:
                if type(value) is dict:
                    yield DecodedRecord(value, line, self.name, lineno)
                else:
                    yield DecodedRecord(None, line, self.name, lineno, _not_object(value))
                return
        yield from scanner.feed(line, lineno)

    def finish(self) -> Iterator[DecodedRecord]:
        """End of input: an object still open comes out as truncated."""
        return self.scanner.finish()


def _lines(stream: BinaryIO, name: str, errors: list[str]) -> Iterator[bytes]:
    """The lines of ``stream``; a decompression or read error ends them and is noted in errors."""
    try:
        yield from stream
    except (OSError, EOFError, zlib.error) as exc:
        errors.append(f"cannot read {name}: {exc}")


def _open(stream: BinaryIO) -> BinaryIO:
    """A buffered view of ``stream`` that is gunzipped when it starts with the gzip magic."""
    if not hasattr(stream, "peek"):
        stream = io.BufferedReader(stream)  # type: ignore[arg-type]
    if stream.peek(2)[:2] == _GZIP_MAGIC:  # type: ignore[attr-defined]
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[return-value]
    return stream


def _decode_lines(lines: Iterable[bytes], name: str) -> Iterator[DecodedRecord]:
    """Line mode: NDJSON lines decoded directly; anything else through :class:`LineFallback`."""
    fallback = LineFallback(name)
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    idle = True  # fallback.idle, kept in a local: only fallback.feed changes it
    for lineno, line in enumerate(lines, 1):
        if idle:
            try:
                value = loads(line)
            except decode_error:
                value = None
            if type(value) is dict:
                yield DecodedRecord(value, line, name, lineno)
                continue
        yield from fallback.feed(line, lineno)
        idle = fallback.idle
    yield from fallback.finish()


def _decode_array(data: bytes, name: str) -> Iterator[DecodedRecord]:
    """A whole JSON array: orjson at once, else element by element."""
    try:
        values = orjson.loads(data)
    except orjson.JSONDecodeError:
        values = None
    if type(values) is list:
        for i, value in enumerate(values):
            if type(value) is dict:
                yield DecodedRecord(value, None, name, f"[{i}]")
            else:
                yield DecodedRecord(value, None, name, f"[{i}]", _not_object(value))
        return
    scanner = ObjectScanner(name, array=True)
    for lineno, line in enumerate(data.splitlines(keepends=True), 1):
        yield from scanner.feed(line, lineno)
    yield from scanner.finish()


def open_source(path: str | os.PathLike[str]) -> BinaryIO | None:
    """``path`` opened for the NDJSON fast path, or ``None`` when it needs :func:`iter_records`.

    The fast path is for plain line-mode files: not gzipped, not a JSON array, no byte-order
    mark, something other than blank space in the first 64 KiB. The stream is returned at its
    start; its lines go to ``orjson.loads`` one by one, and those that are not JSON objects by
    themselves to a :class:`LineFallback`, which is what :func:`iter_records` does with them.
    Raises :class:`OSError` when the file cannot be opened.
    """
    fh = open(path, "rb")  # noqa: SIM115 (handed to the caller)
    try:
        head = fh.peek(1 << 16)[: 1 << 16]
        first = head.lstrip()[:1]
    except OSError:
        fh.close()
        return None
    if head[:2] == _GZIP_MAGIC or head[:3] == _BOM or first in (b"[", b""):
        fh.close()
        return None
    return fh


def _decode_stream(stream: BinaryIO, name: str) -> Iterator[DecodedRecord]:
    errors: list[str] = []
    try:
        stream = _open(stream)
    except OSError as exc:
        errors.append(f"cannot read {name}: {exc}")
        lines: Iterator[bytes] = iter(())
    else:
        lines = _lines(stream, name, errors)
    head: list[bytes] = []
    for line in lines:
        if not head and line.startswith(_BOM):
            line = line[len(_BOM) :]  # noqa: PLW2901
        head.append(line)
        first = line.lstrip()[:1]
        if not first:
            continue
        if first == b"[":
            yield from _decode_array(b"".join(head) + _read_rest(stream, name, errors), name)
        else:
            yield from _decode_lines(_chain(head, lines), name)
        break
    for message in errors:
        yield DecodedRecord(None, b"", name, "", message)


def _read_rest(stream: BinaryIO, name: str, errors: list[str]) -> bytes:
    try:
        return stream.read()
    except (OSError, EOFError, zlib.error) as exc:
        errors.append(f"cannot read {name}: {exc}")
        return b""


def _chain(head: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from head
    yield from rest


def iter_records(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    name: str | None = None,
    stats: DecodeStats | None = None,
    dead_letter: DeadLetter | None = None,
) -> Iterator[DecodedRecord]:
    """Yield every record of ``source`` (a path, or a binary stream such as ``sys.stdin.buffer``).

    ``name`` is used in origins (default: the path as given, or the stream's ``name``). Malformed
    records are yielded with ``error`` set, counted in ``stats`` and written to ``dead_letter``;
    nothing in the data makes this raise. A path that cannot be opened raises :class:`OSError`.
    """
    if isinstance(source, (str, os.PathLike)):
        label = name or os.fspath(source)
        with open(source, "rb") as fh:
            yield from _counted(_decode_stream(fh, label), stats, dead_letter)
        return
    label = name or str(getattr(source, "name", "<stream>"))
    yield from _counted(_decode_stream(source, label), stats, dead_letter)


def _counted(
    records: Iterator[DecodedRecord], stats: DecodeStats | None, dead_letter: DeadLetter | None
) -> Iterator[DecodedRecord]:
    if stats is None and dead_letter is None:
        yield from records
        return
    for rec in records:
        if rec.error is None:
            if stats is not None:
                stats.records += 1
        else:
            if stats is not None:
                stats.malformed += 1
            if dead_letter is not None:
                dead_letter.write(rec)
        yield rec
