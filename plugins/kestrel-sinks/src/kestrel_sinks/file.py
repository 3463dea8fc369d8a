"""The ``file`` sink: JSON lines, rotation by size, an fsync policy, and replay de-duplication."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import orjson

from kestrel_core.alerts import Alert

FSYNC_POLICIES = ("never", "batch", "always")


class FileSink:
    """Append alerts to a file as JSON lines, rotating it by size.

    ``rotate_bytes``: when the file would grow past this size it is renamed to ``NAME.1`` (older
    ones shift to ``.2`` ... up to ``keep``) and a new file is started; 0 disables rotation.
    ``fsync``: ``never`` (leave it to the OS), ``batch`` (after every ``send``) or ``always`` (after
    every alert). Alert ids already in the file (and its rotated copies) are remembered at start,
    so alerts replayed after a restart are not written twice.
    """

    def __init__(
        self,
        path: str,
        rotate_bytes: int = 0,
        keep: int = 5,
        fsync: str = "batch",
        dedupe: bool = True,
    ) -> None:
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync must be one of {', '.join(FSYNC_POLICIES)}, not {fsync!r}")
        self.path = Path(path)
        self.rotate_bytes = int(rotate_bytes)
        self.keep = int(keep)
        self.fsync = fsync
        self.sent = 0
        self.suppressed = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.torn = self._drop_torn_tail()
        self._seen: set[str] = self._read_ids() if dedupe else set()
        self._dedupe = dedupe
        self._fh = open(self.path, "ab")  # noqa: SIM115 - kept open for the sink's lifetime

    def _drop_torn_tail(self) -> int:
        """Cut a last line left half-written by a crash (bytes after the last newline), so the
        next alert starts on a line of its own. Returns how many bytes were cut."""
        if not self.path.exists():
            return 0
        with open(self.path, "rb+") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            if size == 0:
                return 0
            pos = size
            while pos > 0:
                step = min(65536, pos)
                fh.seek(pos - step)
                chunk = fh.read(step)
                nl = chunk.rfind(b"\n")
                if nl >= 0:
                    keep = pos - step + nl + 1
                    break
                pos -= step
            else:
                keep = 0
            if keep < size:
                fh.truncate(keep)
            return size - keep

    def _read_ids(self) -> set[str]:
        ids: set[str] = set()
        for p in [self.path, *(self._rotated(i) for i in range(1, self.keep + 1))]:
            if not p.exists():
                continue
            with open(p, "rb") as fh:
                for line in fh:
                    try:
                        ids.add(orjson.loads(line)["alert_id"])
                    except (orjson.JSONDecodeError, KeyError, TypeError):
                        continue  # a torn last line after a crash
        return ids

    def _rotated(self, i: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{i}")

    def _rotate(self) -> None:
        self._fh.close()
        for i in range(self.keep, 0, -1):
            src = self.path if i == 1 else self._rotated(i - 1)
            if src.exists():
                os.replace(src, self._rotated(i))
        self._fh = open(self.path, "ab")  # noqa: SIM115

    def send(self, alerts: Sequence[Alert]) -> None:
        """Append alerts not written before."""
        for alert in alerts:
            if self._dedupe:
                if alert.alert_id in self._seen:
                    self.suppressed += 1
                    continue
                self._seen.add(alert.alert_id)
            line = orjson.dumps(alert.to_dict()) + b"\n"
            size = self._fh.tell()
            if self.rotate_bytes and size > 0 and size + len(line) > self.rotate_bytes:
                self._rotate()
            self._fh.write(line)
            self.sent += 1
            if self.fsync == "always":
                self._sync()
        if self.fsync == "batch":
            self._sync()

    def _sync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def stats(self) -> dict[str, int]:
        """Alerts written, replayed alerts suppressed, and bytes of a torn line cut at start."""
        return {"written": self.sent, "suppressed": self.suppressed, "torn_bytes_cut": self.torn}

    def flush(self) -> None:
        """Flush (and fsync unless the policy is ``never``)."""
        if self.fsync == "never":
            self._fh.flush()
        else:
            self._sync()

    def close(self) -> None:
        """Flush and close the file."""
        if not self._fh.closed:
            self.flush()
            self._fh.close()
