"""Following a growing NDJSON file (``kestrel run --follow``), as ``tail -F`` does.

Complete lines are decoded as they appear; a partial last line waits for its newline. When the
file is rotated (the path now names another inode), what is left of the old file is read to its
end, then the new file from its start; when it is truncated (shorter than what was read), reading
restarts at its beginning. ``None`` is yielded whenever there is nothing new, so the caller can
flush work in progress; the generator ends when ``should_stop()`` turns true.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO

import orjson

from kestrel_core.events.decoders import DecodedRecord


def _decode_line(line: bytes, name: str, lineno: int) -> DecodedRecord:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return DecodedRecord(None, line, name, lineno, f"malformed JSON: {exc}")
    if type(value) is not dict:
        return DecodedRecord(None, line, name, lineno, f"not a JSON object: {type(value).__name__}")
    return DecodedRecord(value, line, name, lineno)


def follow_records(
    path: str,
    should_stop: Callable[[], bool],
    poll_interval: float = 0.2,
    name: str | None = None,
) -> Iterator[DecodedRecord | None]:
    """Yield each record of ``path`` as lines are appended; ``None`` when idle."""
    label = name or path
    fh: BinaryIO | None = None
    inode: int | None = None
    lineno = 0
    pending = b""
    while not should_stop():
        if fh is None:
            try:
                fh = open(path, "rb")  # noqa: SIM115 - kept open while following
            except FileNotFoundError:
                yield None
                time.sleep(poll_interval)
                continue
            inode = os.fstat(fh.fileno()).st_ino
            lineno, pending = 0, b""
        chunk = fh.readline()
        if chunk:
            if not chunk.endswith(b"\n"):
                pending += chunk
                continue
            line = (pending + chunk).strip()
            pending = b""
            lineno += 1
            if line:
                yield _decode_line(line, label, lineno)
            continue
        # At the end of what is written: rotated? truncated? else wait.
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            stat = None
        if stat is not None and stat.st_ino != inode:
            fh.close()
            fh = None  # the old file is drained: switch to the new one
            continue
        if stat is not None and stat.st_size < fh.tell():
            fh.seek(0)
            lineno, pending = 0, b""
            continue
        yield None
        time.sleep(poll_interval)
    if fh is not None:
        fh.close()
