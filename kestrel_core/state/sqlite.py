"""The ``sqlite`` state store: the memory store's working set, checkpointed to SQLite.

Partial matches live in memory exactly as in :class:`~kestrel_core.state.memory.MemoryStore`
(same quotas, LRU and expiry). ``checkpoint(position)`` writes what changed since the last
checkpoint (entries written, deleted, evicted or expired), every counter, the engine's metadata
and the source position in ONE transaction, so after a crash the state and the position on disk
always belong together. ``restore()`` loads them back. The engine checkpoints every
``checkpoint_interval`` seconds and on a clean shutdown; after a restart it resumes reading where
the checkpoint was taken, so alerts completed after the last checkpoint are emitted again (with
the same deterministic ids: a sink that remembers ids, like the ``file`` sink, drops them).

Values are stored with :mod:`pickle` (they are the engine's own plain data and original event
records). The database is created readable by its owner only; treat it like the process's memory
and never load a state file from an untrusted source.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any

from kestrel_core.state.api import Expired, JoinKey
from kestrel_core.state.memory import _DEADLINE, _SIZE, _VALUE, MemoryStore

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS entries (
    rule_id TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    size INTEGER NOT NULL,
    deadline INTEGER,
    lru INTEGER NOT NULL,
    PRIMARY KEY (rule_id, key)
);
CREATE TABLE IF NOT EXISTS counters (rule_id TEXT PRIMARY KEY, counters BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
"""


def _dump(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class SqliteStore(MemoryStore):
    """Memory store whose state is checkpointed to a SQLite database (WAL mode).

    ``path``: the database file. ``checkpoint_interval``: seconds between the engine's
    checkpoints (0: only at shutdown). The quotas are as for ``memory``.
    """

    name = "sqlite"

    def __init__(
        self,
        path: str = "kestrel-state.db",
        checkpoint_interval: float = 5.0,
        max_partials_per_rule: int | None = 100_000,
        max_partials_per_key: int | None = 100,
    ) -> None:
        super().__init__(max_partials_per_rule, max_partials_per_key)
        self.path = Path(path)
        self.checkpoint_interval = float(checkpoint_interval)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        self._db = sqlite3.connect(str(self.path), isolation_level=None)
        if new:
            os.chmod(self.path, 0o600)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_DDL)
        # Keys changed since the last checkpoint, in the order they were last written (so the
        # restored entries keep their least-recently-written order).
        self._dirty: dict[tuple[str, JoinKey], None] = {}
        self._lru = 0
        self.checkpoints = 0

    # -- change tracking -----------------------------------------------------------------------

    def put(
        self,
        rule_id: str,
        key: JoinKey,
        value: Any,
        *,
        size: int = 1,
        deadline: int | None = None,
    ) -> None:
        """As :meth:`MemoryStore.put`; remembers the key for the next checkpoint."""
        self._touch(rule_id, key)
        super().put(rule_id, key, value, size=size, deadline=deadline)

    def delete(self, rule_id: str, key: JoinKey) -> None:
        """As :meth:`MemoryStore.delete`; remembers the key for the next checkpoint."""
        self._touch(rule_id, key)
        super().delete(rule_id, key)

    def _touch(self, rule_id: str, key: JoinKey) -> None:
        dirty = self._dirty
        dirty.pop((rule_id, key), None)
        dirty[(rule_id, key)] = None

    def _evicted(self, rule_id: str, key: JoinKey) -> None:
        self._touch(rule_id, key)

    def expire(self, now_ns: int) -> list[Expired]:
        """As :meth:`MemoryStore.expire`; remembers the expired keys for the next checkpoint."""
        out = super().expire(now_ns)
        for e in out:
            self._touch(e.rule_id, e.key)
        return out

    # -- durability ----------------------------------------------------------------------------

    def checkpoint(self, position: Any) -> None:
        """Write the changes, counters, metadata and ``position`` in one transaction."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for rule_id, key in self._dirty:
                shard = self._shards.get(rule_id)
                entry = shard.entries.get(key) if shard is not None else None
                kblob = _dump(key)
                if entry is None:
                    db.execute("DELETE FROM entries WHERE rule_id=? AND key=?", (rule_id, kblob))
                else:
                    self._lru += 1
                    db.execute(
                        "INSERT OR REPLACE INTO entries VALUES (?,?,?,?,?,?)",
                        (
                            rule_id,
                            kblob,
                            _dump(entry[_VALUE]),
                            entry[_SIZE],
                            entry[_DEADLINE],
                            self._lru,
                        ),
                    )
            db.execute("DELETE FROM counters")
            db.executemany(
                "INSERT INTO counters VALUES (?,?)",
                [(r, _dump(s.counters)) for r, s in self._shards.items()],
            )
            db.execute("DELETE FROM meta")
            meta = {**self._meta, "__position__": position, "__version__": SCHEMA_VERSION}
            rows = [(k, _dump(v)) for k, v in meta.items()]
            db.executemany("INSERT INTO meta VALUES (?,?)", rows)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._dirty.clear()
        self.checkpoints += 1

    def restore(self) -> Any | None:
        """Load the last checkpoint into memory; return its source position, or ``None``."""
        db = self._db
        rows = db.execute("SELECT name, value FROM meta")
        meta = {name: pickle.loads(blob) for name, blob in rows}
        if not meta:
            return None
        version = meta.pop("__version__", None)
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"state file {self.path} was written by an incompatible Kestrel "
                f"(format {version}, this one reads {SCHEMA_VERSION}); move it away to start afresh"
            )
        position = meta.pop("__position__", None)
        self._meta = meta
        self._shards = {}
        rows = db.execute(
            "SELECT rule_id, key, value, size, deadline, lru FROM entries ORDER BY lru"
        )
        for rule_id, kblob, vblob, size, deadline, lru in rows:
            shard = self._shard(rule_id)
            shard.entries[pickle.loads(kblob)] = [pickle.loads(vblob), size, deadline]
            shard.size += size
            self._lru = max(self._lru, lru)
        for rule_id, blob in db.execute("SELECT rule_id, counters FROM counters"):
            self._shard(rule_id).counters.update(pickle.loads(blob))
        self._rebuild_heap()
        self._dirty.clear()
        return position

    def stats(self) -> dict[str, Any]:
        """The memory store's stats plus the checkpoint count and the file."""
        out = super().stats()
        out.update(path=str(self.path), checkpoints=self.checkpoints)
        return out

    def close(self) -> None:
        """Close the database (the engine checkpoints before)."""
        self._db.close()
