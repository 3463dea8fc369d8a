"""Partitioning raw records by host, mostly without decoding them (``--workers N``).

:class:`RawHostKey` reads a record's host key straight from its NDJSON line when it can be sure
the answer equals :meth:`Schema.host_key <kestrel_core.events.schema.Schema.host_key>` of the
decoded record; otherwise it answers ``None`` and the caller decodes the line. :class:`HostRouter`
turns host keys (raw or decoded) into worker indexes, the same index for the same host either way.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["HostOwner", "HostRouter", "RawHostKey"]

_MAX_CACHED = 65536


class RawHostKey:
    """The first host field of a schema, guessed from a raw line by byte search.

    It applies to schemas that match records as they are (no fields view) and whose first host
    field is ``name`` or ``outer.inner``. For a line it answers the field's value as bytes, or
    ``None`` (decode the line), by cheap tests:

    - the line is one compact object: it starts with ``{`` and ends with ``}`` (before the line
      ending);
    - ``"outer":{"inner":"`` (``"name":"``) occurs, opening the object or after as many ``{`` as
      ``}`` plus one: at the top level;
    - the value is a non-empty string without escapes.

    It does not parse, so a record can fool it: braces inside strings before the key, a flat
    ``"outer.inner"`` key beside the nested one, duplicate keys, keys spelled with
    unicode escapes. The workers check every guess against the decoded record and count the misses
    (:func:`~kestrel_core.engine.workers.decode_rows`).
    """

    __slots__ = ("_pattern", "enabled")

    def __init__(self, schema: Any) -> None:
        fields = tuple(getattr(schema, "host_fields", ()))
        parts = fields[0].split(".") if fields else []
        self.enabled = schema.view is None and len(parts) in (1, 2) and all(parts)
        self._pattern = b""
        if self.enabled:
            encoded = [orjson.dumps(p) for p in parts]
            self._pattern = encoded[0] + (b":{" + encoded[1] if len(parts) == 2 else b"") + b':"'

    def __call__(self, line: bytes) -> bytes | None:
        """The host key's bytes in ``line`` (UTF-8, as in the file), or ``None``: decode it."""
        if not self.enabled:
            return None
        pos = line.find(self._pattern)
        if pos < 0 or line[:1] != b"{" or not line.endswith((b"}\n", b"}", b"}\r\n")):
            return None
        if pos != 1 and line.count(b"{", 0, pos) != line.count(b"}", 0, pos) + 1:
            return None
        start = pos + len(self._pattern)
        end = line.find(b'"', start)
        if end <= start:
            return None
        value = line[start:end]
        return None if b"\\" in value else value


class HostRouter:
    """Worker index of a host key, the same for a host all through a run; no key: worker 0.

    A host seen for the first time goes to the worker with the fewest events so far (as
    :meth:`add_load` reports them; ties: the fewest hosts, then the lowest index), so a few
    busy hosts still spread over the workers; a hash of a dozen hosts often does not (measured
    on the benchmark's 12 hosts: crc32 % 2 split the events 66 / 34). :attr:`assigned` lists
    the hosts given to each worker since :meth:`take_assigned` was last called.
    """

    __slots__ = ("_by_text", "_hosts", "_index", "_load", "assigned", "schema", "workers")

    def __init__(self, schema: Any, workers: int) -> None:
        self.schema = schema
        self.workers = workers
        self._index: dict[bytes, int] = {}
        self._by_text: dict[str, int] = {}
        self._load = [0] * workers
        self._hosts = [0] * workers
        self.assigned: list[list[bytes]] = [[] for _ in range(workers)]

    def of_bytes(self, key: bytes) -> int:
        """The worker of a host key given as UTF-8 bytes."""
        index = self._index.get(key)
        if index is None:
            index = min(range(self.workers), key=lambda i: (self._load[i], self._hosts[i], i))
            self._index[key] = index
            self._hosts[index] += 1
            self.assigned[index].append(key)
        return index

    @property
    def assigned_any(self) -> bool:
        """Whether any host has a worker yet."""
        return bool(self._index)

    def preassign(self, counts: dict[bytes, int]) -> None:
        """Give the hosts of a first look at the input (host key -> records seen) to workers by
        volume, the busiest first, each to the worker with the least volume so far: a few busy
        hosts spread evenly, which first-seen order cannot promise."""
        volume = [0] * self.workers
        for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            if key in self._index:
                volume[self._index[key]] += count
                continue
            index = min(range(self.workers), key=lambda i: (volume[i], self._hosts[i], i))
            self._index[key] = index
            self._hosts[index] += 1
            self.assigned[index].append(key)
            volume[index] += count

    def of_record(self, record: Any) -> int:
        """The worker of a decoded record (by :meth:`Schema.record_host`)."""
        host = self.schema.record_host(record)
        if not host:
            return 0
        index = self._by_text.get(host)
        if index is None:
            if len(self._by_text) >= _MAX_CACHED:
                self._by_text.clear()
            index = self._by_text[host] = self.of_bytes(host.encode())
        return index

    def add_load(self, counts: list[int]) -> None:
        """Count events routed to each worker (``counts[i]`` more for worker ``i``)."""
        for i, count in enumerate(counts):
            self._load[i] += count

    def take_assigned(self) -> list[list[bytes]]:
        """The hosts assigned to each worker since the last call."""
        out = self.assigned
        self.assigned = [[] for _ in range(self.workers)]
        return out


class HostOwner:
    """A worker's side of :class:`HostRouter`: whether a decoded record is this worker's, by
    the hosts the reader says it assigned here (worker 0 also owns records without a host)."""

    __slots__ = ("first", "hosts", "schema")

    def __init__(self, schema: Any, first: bool) -> None:
        self.schema = schema
        self.first = first
        self.hosts: set[str] = set()

    def add(self, keys: list[bytes]) -> None:
        """Hosts the reader assigned to this worker."""
        self.hosts.update(k.decode("utf-8", "replace") for k in keys)

    def __call__(self, record: Any) -> bool:
        """True when ``record`` belongs to this worker."""
        host = self.schema.record_host(record)
        return host in self.hosts if host else self.first
