"""Several worker processes, events partitioned by host (``kestrel run --workers N``).

The reader (this process) decodes each record once to find its host key (``host.id``, else
``agent.id``, else the host name; per schema profile) and sends the raw bytes, in chunks, to the
worker that owns that host, so every per-host sequence keeps its state in one worker. Workers
decode, detect and return their alerts tagged with the arrival number of the event that completed
each; the reader merges them by that number, so the alerts, and their order, equal those of one
worker. Sequences whose join keys span hosts match only within one host when N > 1 (reported at
start for rules whose keys are not host-local).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson

from kestrel_core.alerts import Alert
from kestrel_core.config import Config
from kestrel_core.engine.engine import Engine
from kestrel_core.inputs import InputStats, read_events
from kestrel_core.ir import Field, SequenceQuery

#: Key fields that identify something within one host (process, file, host itself).
HOST_LOCAL_HINTS = ("entity_id", "guid", "pid", "host.", "agent.id", "unique_pid", "ppid", "path")

CHUNK = 2048
IN_FLIGHT = 4


class _CollectSink:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def send(self, alerts: Sequence[Alert]) -> None:
        self.alerts.extend(alerts)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def _worker_main(config: Config, rules: Any, inbox: Any, outbox: Any) -> None:
    """A worker: build an engine (from the config's rule paths, or the rules given in code),
    then detect over every chunk it is sent."""
    try:
        engine = Engine(config, rules=rules, sinks=[_CollectSink()], report=lambda _m: None)
    except Exception as exc:  # reported by the reader
        outbox.put(("error", f"{type(exc).__name__}: {exc}"))
        return
    outbox.put(("ready", None))
    schema = engine.schema
    while True:
        item = inbox.get()
        if item is None:
            pairs = engine.finish_ordered()
            stats = engine.close()
            outbox.put(("finish", (pairs, stats)))
            return
        chunk_no, rows = item
        events = [
            schema.normalize(orjson.loads(raw), seq=seq, origin=origin)
            for seq, raw, origin in rows
        ]
        outbox.put(("chunk", (chunk_no, engine.process_ordered(events))))


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
        ctx = mp.get_context("spawn")
        self.inboxes = [ctx.Queue(maxsize=IN_FLIGHT + 1) for _ in range(workers)]
        self.outboxes = [ctx.Queue() for _ in range(workers)]
        self.procs = [
            ctx.Process(
                target=_worker_main,
                args=(engine.config, engine.explicit_rules, self.inboxes[i], self.outboxes[i]),
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
        pending: deque[tuple[int, list[int]]] = deque()
        chunk: list[list[tuple[int, bytes, str | None]]] = [[] for _ in range(self.n)]
        size = 0
        chunk_no = 0
        schema = self.engine.schema
        for event in read_events(paths, schema, stats, report=self.report):
            host = schema.host_key(event)
            index = zlib.crc32(host.encode()) % self.n if host else 0
            chunk[index].append((event.seq, orjson.dumps(event.record), event.origin))
            size += 1
            if size >= CHUNK:
                self._send(chunk_no, chunk, pending)
                chunk_no += 1
                chunk = [[] for _ in range(self.n)]
                size = 0
                while len(pending) >= IN_FLIGHT:
                    self._collect(pending.popleft())
        if size:
            self._send(chunk_no, chunk, pending)
        while pending:
            self._collect(pending.popleft())
        self._finish()

    def _send(
        self,
        chunk_no: int,
        chunk: list[list[tuple[int, bytes, str | None]]],
        pending: deque[tuple[int, list[int]]],
    ) -> None:
        busy = [i for i, rows in enumerate(chunk) if rows]
        for i in busy:
            self.inboxes[i].put((chunk_no, chunk[i]))
        pending.append((chunk_no, busy))

    def _collect(self, item: tuple[int, list[int]]) -> None:
        chunk_no, busy = item
        merged: list[tuple[int, Alert]] = []
        for i in busy:
            kind, payload = self._get(i)
            if kind != "chunk" or payload[0] != chunk_no:
                raise RuntimeError(f"worker {i} answered out of order")
            merged.extend(payload[1])
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
            "per_worker": [
                {k: s.get(k) for k in ("evaluated", "alerts", "state", "runtimes")}
                for s in self.worker_stats
            ],
        }
