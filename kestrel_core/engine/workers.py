"""Several worker processes, events partitioned by host (``kestrel run --workers N``).

The reader (this process) decodes as little as it can: for a plain NDJSON line it reads the host
key (``host.id``, else ``agent.id``, else the host name; per schema profile) from the bytes
(:class:`~kestrel_core.events.partition.RawHostKey`), and decodes the line only when that finds
none. It numbers every record and sends the raw lines, in chunks, to the worker that owns their
host, so every per-host sequence keeps its state in one worker, and each record is decoded once,
there. Workers decode, normalize, detect, and return their alerts tagged with the number of the
event that completed each, with the records that were malformed; the reader merges both by that
number, so the alerts, their order and the malformed reports equal those of one worker.
Sequences whose join keys span hosts match only within one host when N > 1 (reported at start
for rules whose keys are not host-local).

Limits of reading bytes instead of records: a worker checks each record's decoded host against
the partition it was sent to, and the reader reports records that were misrouted (a record built
to fool the byte search: braces in strings before the host, duplicate or escaped keys); they are
detected by the worker they reached. Events are numbered by record (``Event.seq``), malformed
records included, so with malformed records in the input the numbers have gaps that one worker
would not leave; their order, the only thing they are used for, is the same. A line that looks
like a whole object but is a truncated one is reported as truncated at its line, as with one
worker, with "the input ends inside it" as the reason.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from kestrel_core.alerts import Alert
from kestrel_core.config import Config
from kestrel_core.engine.engine import Engine, batch_gc
from kestrel_core.events.decoders import (
    DecodedRecord,
    LineFallback,
    iter_records,
    open_source,
    origin_of,
)
from kestrel_core.events.partition import HostOwner, HostRouter, RawHostKey
from kestrel_core.inputs import InputStats, MalformedLog, expand_paths
from kestrel_core.ir import Field, SequenceQuery

#: Key fields that identify something within one host (process, file, host itself).
HOST_LOCAL_HINTS = ("entity_id", "guid", "pid", "host.", "agent.id", "unique_pid", "ppid", "path")

#: Records per chunk (over all workers), and chunks in flight before the reader waits.
CHUNK = 4096
IN_FLIGHT = 4
#: A worker decodes and then detects the records it is sent in batches of its engine's
#: ``preferred_batch`` (few enough, for the python runtime, that the decoded records are still
#: in the CPU cache when the rules read them).

#: ``(seq, raw bytes, source name, line or "[index]")``: one record for a worker.
Row = tuple[int, bytes, str, "int | str"]
#: ``(seq, source name, line or "[index]", raw bytes, error)``: one malformed record.
Bad = tuple[int, str, "int | str", bytes, str]


class _CollectSink:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def send(self, alerts: Sequence[Alert]) -> None:
        self.alerts.extend(alerts)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def decode_rows(
    normalize: Callable[..., Any],
    rows: Sequence[Row],
    owned: Callable[[Any], bool] | None = None,
) -> tuple[list[Any], list[Bad], int]:
    """A worker's half of reading: the events of ``rows``, those that are malformed, and how
    many records belong to another worker by their decoded host (``owned(record)`` false; the
    reader's byte-level guess was wrong: they are still detected here).

    A row that is not a JSON object by itself goes through
    :class:`~kestrel_core.events.decoders.LineFallback`, as one worker reads such a line.
    """
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    events: list[Any] = []
    bad: list[Bad] = []
    misrouted = 0
    for seq, raw, name, where in rows:
        try:
            value = loads(raw)
        except decode_error:
            value = None
        if type(value) is dict:
            if owned is not None and not owned(value):
                misrouted += 1
            origin = f"{name}:{where}" if type(where) is int else origin_of(name, where)
            try:
                events.append(normalize(value, seq, origin))
            except ValueError as exc:
                bad.append((seq, name, where, raw, str(exc)))
            continue
        fallback = LineFallback(name)
        line = where if type(where) is int else 0
        for rec in (*fallback.feed(raw, line), *fallback.finish()):
            if rec.error is not None:
                bad.append((seq, name, rec.where, rec.raw, rec.error))
                continue
            try:
                events.append(normalize(rec.record, seq, rec.origin))
            except ValueError as exc:
                bad.append((seq, name, rec.where, rec.raw, str(exc)))
    return events, bad, misrouted


def _worker_main(config: Config, rules: Any, inbox: Any, outbox: Any, index: int) -> None:
    """Worker ``index``: build an engine (from the config's rule paths, or the
    rules given in code), then decode and detect over every chunk it is sent."""
    try:
        engine = Engine(config, rules=rules, sinks=[_CollectSink()], report=lambda _m: None)
    except Exception as exc:  # reported by the reader
        outbox.put(("error", f"{type(exc).__name__}: {exc}"))
        return
    outbox.put(("ready", None))
    normalize = engine.schema.normalizer
    owner = HostOwner(engine.schema, first=index == 0)
    with batch_gc():
        while True:
            item = inbox.get()
            if item is None:
                break
            chunk_no, rows, hosts = item
            owner.add(hosts)
            outbox.put(("chunk", (chunk_no, *_detect(engine, normalize, rows, owner))))
    pairs = engine.finish_ordered()
    stats = engine.close()
    outbox.put(("finish", (pairs, stats)))


def _detect(
    engine: Engine,
    normalize: Callable[..., Any],
    rows: Sequence[Row],
    owned: Callable[[Any], bool],
) -> tuple[list[tuple[int, Alert]], list[Bad], int]:
    """Decode and detect over ``rows`` in batches of the engine's preferred size (records decoded
    just before detection are still in the CPU cache); the alerts, malformed records and
    misrouted count of all of them."""
    pairs: list[tuple[int, Alert]] = []
    bad: list[Bad] = []
    misrouted = 0
    size = engine.preferred_batch
    for start in range(0, len(rows), size):
        events, more_bad, more_misrouted = decode_rows(
            normalize, rows[start : start + size], owned
        )
        pairs.extend(engine.process_ordered(events))
        bad.extend(more_bad)
        misrouted += more_misrouted
    return pairs, bad, misrouted


class _Chunk:
    """What the reader sends in one round: rows per worker, and the malformed records it found
    itself; ``start`` is the number of its first record."""

    __slots__ = ("bad", "rows", "start")

    def __init__(self, workers: int, start: int) -> None:
        self.rows: list[list[Row]] = [[] for _ in range(workers)]
        self.bad: list[Bad] = []
        self.start = start


class RecordSplitter:
    """The reader's side: every record of ``paths``, numbered in arrival order and routed, raw,
    to the worker of its host, in chunks of about ``size`` records.

    Plain NDJSON lines are routed by the host :class:`~kestrel_core.events.partition.RawHostKey`
    reads from their bytes, or decoded here when it reads none; other inputs (gzip, arrays,
    stdin) and lines that are not JSON objects by themselves go through the general decoders, as
    with one worker. :class:`~kestrel_core.events.partition.HostRouter` gives each host a worker.
    """

    def __init__(
        self, paths: Iterable[str], schema: Any, workers: int, stats: InputStats
    ) -> None:
        self.files = expand_paths(paths) or ["-"]
        self.workers = workers
        self.stats = stats
        self.raw_host = RawHostKey(schema)
        self.router = HostRouter(schema, workers)
        self.seq = 0
        self._chunk = _Chunk(workers, 0)

    def chunks(self, size: int = CHUNK) -> Iterator[_Chunk]:
        """The chunks, in order; the last one may be short."""
        for src in self.files:
            fh = None if src == "-" else open_source(src)
            if fh is None:
                stream = sys.stdin.buffer if src == "-" else Path(src)
                name = "<stdin>" if src == "-" else src
                for rec in iter_records(stream, name=name):
                    self._route(rec)
                    if self.seq - self._chunk.start >= size:
                        yield self._take()
            else:
                with fh:
                    yield from self._lines(fh, src, size)
        if self.seq > self._chunk.start:
            yield self._take()

    def _take(self) -> _Chunk:
        chunk = self._chunk
        self.stats.received += self.seq - chunk.start
        self.router.add_load([len(rows) for rows in chunk.rows])
        self._chunk = _Chunk(self.workers, self.seq)
        return chunk

    def _route(self, rec: DecodedRecord) -> None:
        """A record of the general decoders: to its worker, or set aside as malformed."""
        seq = self.seq
        self.seq += 1
        if rec.error is None and type(rec.record) is dict:
            index = self.router.of_record(rec.record)
            self._chunk.rows[index].append((seq, rec.raw, rec.name, rec.where))
        else:
            error = rec.error or "not a JSON object"
            self._chunk.bad.append((seq, rec.name, rec.where, rec.raw, error))

    def _lines(self, fh: BinaryIO, name: str, size: int) -> Iterator[_Chunk]:
        """The hot loop of a plain NDJSON file."""
        raw_host = self.raw_host
        of_bytes = self.router.of_bytes
        of_record = self.router.of_record
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        fallback = LineFallback(name)
        idle = True
        rows = self._chunk.rows
        start = self._chunk.start
        seq = self.seq
        lineno = 0
        if not self.router.assigned_any:
            fh = self._preassign(fh, size)  # type: ignore[assignment]
        for line in fh:
            lineno += 1
            if idle:
                host = raw_host(line)
                if host is not None:
                    rows[of_bytes(host)].append((seq, line, name, lineno))
                else:
                    try:
                        value = loads(line)
                    except decode_error:
                        value = None
                    if type(value) is not dict:
                        idle = self._fallback(fallback, line, lineno, seq)
                        seq = self.seq
                        continue
                    rows[of_record(value)].append((seq, line, name, lineno))
                seq += 1
                if seq - start >= size:
                    self.seq = seq
                    yield self._take()
                    rows, start = self._chunk.rows, seq
                continue
            idle = self._fallback(fallback, line, lineno, seq)
            seq = self.seq
        self.seq = seq
        for rec in fallback.finish():
            self._route(rec)

    def _preassign(self, fh: BinaryIO, size: int) -> Iterator[bytes]:
        """Read the first ``size`` lines ahead and give their hosts to workers by volume
        (:meth:`HostRouter.preassign`); returns the lines to read, those first."""
        ahead = list(islice(fh, size))
        counts: dict[bytes, int] = {}
        for line in ahead:
            host = self.raw_host(line)
            if host is None:
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                text = self.router.schema.record_host(value) if type(value) is dict else None
                if not text:
                    continue
                host = text.encode()
            counts[host] = counts.get(host, 0) + 1
        self.router.preassign(counts)
        return chain(ahead, fh)

    def _fallback(self, fallback: LineFallback, line: bytes, lineno: int, seq: int) -> bool:
        """A line for the general decoders; returns whether they are idle after it."""
        self.seq = seq
        for rec in fallback.feed(line, lineno):
            self._route(rec)
        return fallback.idle


def host_spanning_rules(engine: Engine) -> list[str]:
    """Ids of sequence rules whose join keys are not all host-local."""
    out = []
    for rule in engine.rules:
        if rule.query is None or not isinstance(rule.query.body, SequenceQuery):
            continue
        keys = rule.query.body.steps[0].keys if rule.query.body.steps else ()
        local = any(
            isinstance(k, Field) and any(h in k.dotted.lower() for h in HOST_LOCAL_HINTS)
            for k in keys
        )
        if not local:
            out.append(rule.id)
    return out


class ParallelRunner:
    """Run a configuration over files with ``workers`` processes; alerts go to ``engine``'s sinks.

    ``engine`` is the reader's own engine: it is used for its schema, its sinks and its stats;
    detection happens in the workers.
    """

    def __init__(self, engine: Engine, workers: int, report: Callable[[str], None]) -> None:
        self.engine = engine
        self.n = workers
        self.report = report
        self.worker_stats: list[dict[str, Any]] = []
        #: Records a worker found to belong to another by their decoded host.
        self.misrouted = 0
        ctx = mp.get_context("spawn")
        self.inboxes = [ctx.Queue(maxsize=IN_FLIGHT + 1) for _ in range(workers)]
        self.outboxes = [ctx.Queue() for _ in range(workers)]
        self.procs = [
            ctx.Process(
                target=_worker_main,
                args=(
                    engine.config,
                    engine.explicit_rules,
                    self.inboxes[i],
                    self.outboxes[i],
                    i,
                ),
                name=f"kestrel-worker-{i}",
                daemon=True,
            )
            for i in range(workers)
        ]
        spanning = host_spanning_rules(engine)
        if spanning:
            shown = ", ".join(spanning[:5]) + (" ..." if len(spanning) > 5 else "")
            report(
                f"kestrel: {len(spanning)} sequence rules join on keys that may span hosts "
                f"({shown}); with {workers} workers they match within one host only"
            )

    def _get(self, index: int) -> tuple[str, Any]:
        while True:
            try:
                return self.outboxes[index].get(timeout=1.0)
            except queue.Empty:
                if not self.procs[index].is_alive():
                    raise RuntimeError(f"worker {index} died") from None

    def run_files(self, paths: Iterable[str], stats: InputStats) -> None:
        """Read, partition, detect in the workers, merge in order, deliver."""
        for proc in self.procs:
            proc.start()
        for i in range(self.n):
            kind, payload = self._get(i)
            if kind == "error":
                raise RuntimeError(f"worker {i} failed to start: {payload}")
        self.engine.mark_run_start()
        malformed = MalformedLog(stats, self.report)
        pending: deque[tuple[int, _Chunk, list[int]]] = deque()
        splitter = RecordSplitter(paths, self.engine.schema, self.n, stats)
        with batch_gc():
            for chunk_no, chunk in enumerate(splitter.chunks()):
                busy = [i for i, rows in enumerate(chunk.rows) if rows]
                hosts = splitter.router.take_assigned()
                for i in busy:
                    self.inboxes[i].put((chunk_no, chunk.rows[i], hosts[i]))
                chunk.rows = []  # sent: let them go
                pending.append((chunk_no, chunk, busy))
                while len(pending) >= IN_FLIGHT:
                    self._collect(*pending.popleft(), malformed)
            while pending:
                self._collect(*pending.popleft(), malformed)
        self._finish()
        if self.misrouted:
            self.report(
                f"kestrel: {self.misrouted} records were sent to a worker by a host key read "
                "from their bytes that their decoded host contradicts; sequences over them "
                "may differ from one worker's"
            )

    def _collect(
        self, chunk_no: int, chunk: _Chunk, busy: list[int], malformed: MalformedLog
    ) -> None:
        """The workers' answers for one chunk: malformed records reported and alerts delivered,
        both in arrival order."""
        merged: list[tuple[int, Alert]] = []
        bad = chunk.bad
        for i in busy:
            kind, payload = self._get(i)
            if kind != "chunk" or payload[0] != chunk_no:
                raise RuntimeError(f"worker {i} answered out of order")
            merged.extend(payload[1])
            bad.extend(payload[2])
            self.misrouted += payload[3]
        bad.sort(key=lambda b: b[0])
        for _seq, name, where, raw, error in bad:
            malformed.add(DecodedRecord(None, raw, name, where, error), error)
        stats = malformed.stats
        stats.decoded = stats.received - stats.malformed
        merged.sort(key=lambda p: p[0])
        self.engine.deliver([a for _, a in merged])

    def _finish(self) -> None:
        pairs: list[tuple[tuple, Alert]] = []
        for i in range(self.n):
            self.inboxes[i].put(None)
        for i in range(self.n):
            kind, payload = self._get(i)
            if kind != "finish":
                raise RuntimeError(f"worker {i} answered {kind!r} at the end")
            pairs.extend(payload[0])
            self.worker_stats.append(payload[1])
        pairs.sort(key=lambda p: p[0])
        self.engine.deliver([a for _, a in pairs])
        for proc in self.procs:
            proc.join(timeout=10)

    def merged_stats(self) -> dict[str, Any]:
        """Counters summed over the workers (evaluation, state) for the reader's stats."""
        evaluated = sum(s.get("evaluated", 0) for s in self.worker_stats)
        per_rule: Counter[str] = Counter()
        for s in self.worker_stats:
            per_rule.update(s.get("per_rule_alerts", {}))
        return {
            "evaluated": evaluated,
            "workers": self.n,
            "misrouted": self.misrouted,
            "per_worker": [
                {k: s.get(k) for k in ("evaluated", "alerts", "state", "runtimes")}
                for s in self.worker_stats
            ],
        }
