"""Built-in plugin: the ``file`` and ``stdin`` event sources.

Each source iterates over :class:`~kestrel_core.events.decoders.DecodedRecord` (malformed records
included, with ``error`` set) and counts what it read in ``stats``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from kestrel_core import hookimpl
from kestrel_core.events.decoders import DeadLetter, DecodedRecord, DecodeStats, iter_records
from kestrel_core.types import ConfigOption, EventSource

_STDIN = Path("-")

#: File endings a directory source reads (``.json.gz`` and friends end in ``.gz``).
EVENT_FILE_SUFFIXES: tuple[str, ...] = (".json", ".ndjson", ".jsonl", ".gz")


def list_event_files(path: Path, *, recursive: bool = True) -> list[Path]:
    """The files a ``file`` source reads for ``path``: itself, or a directory's event files.

    A directory yields its files ending in :data:`EVENT_FILE_SUFFIXES` (with its subdirectories'
    when ``recursive``), in name order, compared path component by component. Raises
    :class:`FileNotFoundError` when ``path`` is missing.
    """
    if path.is_dir():
        candidates = path.rglob("*") if recursive else path.iterdir()
        return sorted(
            (p for p in candidates if p.is_file() and p.name.lower().endswith(EVENT_FILE_SUFFIXES)),
            key=lambda p: p.relative_to(path).parts,
        )
    if not path.exists():
        raise FileNotFoundError(f"event file or directory not found: {path}")
    return [path]


class _Source:
    """Shared parts: stats, an optional dead-letter file, closing."""

    def __init__(self, dead_letter: str | os.PathLike[str] | None) -> None:
        self.stats = DecodeStats()
        self.dead_letter = DeadLetter(dead_letter) if dead_letter else None

    def close(self) -> None:
        """Close the dead-letter file, if any."""
        if self.dead_letter is not None:
            self.dead_letter.close()


class FileSource(_Source):
    """Events from a file or a directory of files (JSON arrays, NDJSON, concatenated objects).

    Files may be gzipped. A directory is read file by file in name order; several paths are read
    one after another as one data set; the path ``-`` reads standard input.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | list[str | os.PathLike[str]],
        *,
        recursive: bool = True,
        dead_letter: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(dead_letter)
        paths = path if isinstance(path, list) else [path]
        self.paths = [Path(p) for p in paths]
        self.recursive = recursive

    def files(self) -> list[Path]:
        """Every file this source reads, in reading order (``-`` stands for standard input)."""
        out: list[Path] = []
        for p in self.paths:
            out.extend([p] if p == _STDIN else list_event_files(p, recursive=self.recursive))
        return out

    def __iter__(self) -> Iterator[DecodedRecord]:
        for file in self.files():
            source: Path | BinaryIO = sys.stdin.buffer if file == _STDIN else file
            yield from iter_records(source, stats=self.stats, dead_letter=self.dead_letter)


class StdinSource(_Source):
    """Events from standard input (or another binary stream): any format the file source reads."""

    def __init__(
        self,
        stream: BinaryIO | None = None,
        *,
        name: str = "<stdin>",
        dead_letter: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(dead_letter)
        self.stream = stream
        self.name = name

    def __iter__(self) -> Iterator[DecodedRecord]:
        stream = self.stream if self.stream is not None else sys.stdin.buffer
        yield from iter_records(
            stream, name=self.name, stats=self.stats, dead_letter=self.dead_letter
        )


_DEAD_LETTER = ConfigOption(
    "dead_letter", type="path", description="append malformed records to this NDJSON file"
)


@hookimpl
def kestrel_event_sources() -> list[EventSource]:
    """The built-in sources: ``file`` (files and directories) and ``stdin``."""
    return [
        EventSource(
            name="file",
            factory=FileSource,
            config=(
                ConfigOption("path", type="path", required=True, description="file or directory"),
                ConfigOption(
                    "recursive", type="bool", default=True, description="read subdirectories"
                ),
                _DEAD_LETTER,
            ),
        ),
        EventSource(name="stdin", factory=StdinSource, config=(_DEAD_LETTER,)),
    ]
