"""The process tree behind ``descendant of``, ``child of`` and ``event of``, kept in the state
store.

One store entry per process, under the reserved rule id :data:`LINEAGE_RULE` and the key
``(entity id,)``; its value is ``[parent, sources, descendant_of, child_of, ended]``:

* ``sources``: the lineage marks (one per distinct inner query, see
  :mod:`kestrel_core.lineage.host`) an event of this process matched;
* ``descendant_of`` / ``child_of``: the marks handed down when the process started: those its
  parent was a source of, plus, for ``descendant_of``, those the parent descended from. This is
  Endgame's semantics: a mark a process gains after a child started does not reach that child,
  and a child keeps its marks when its parent exits;
* ``ended``: the event time of its end event, or ``None``.

Bounds, like all state: an ended process stays for ``retention_ns`` of event time (events of a
process may trail its end event), then is removed (``processes_aged_out``); the store's quota
per rule bounds the tree (least recently written processes are evicted, counted by the store as
``evictions`` of :data:`LINEAGE_RULE`). A durable store checkpoints the tree with everything
else; the queue of ended processes lives in the store's metadata.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from kestrel_core.events.schema import field_getter

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.events.profiles import LineageFields
    from kestrel_core.state.api import StateStore

#: The reserved rule id the process tree is stored under.
LINEAGE_RULE = "kestrel:lineage"
_META = "kestrel:lineage"
PARENT, SOURCES, DESCENDANT_OF, CHILD_OF, ENDED = range(5)
#: How long an ended process stays, in event-time nanoseconds (default one minute).
RETENTION_NS = 60 * 1_000_000_000


def _entity(value: Any) -> Any:
    """A usable entity id: the first element of a list; ``None`` for null, ``""`` and ``0``."""
    if type(value) is list:
        value = next((v for v in value if v is not None), None)
    if value is None or value in ("", 0) or type(value) is bool:
        return None
    return value if type(value) in (str, int, float) else str(value)


class ProcessTree:
    """Processes by entity id, their parents and their lineage marks, in ``store``."""

    def __init__(
        self, store: StateStore, fields: LineageFields, retention_ns: int = RETENTION_NS
    ) -> None:
        self.store = store
        self.fields = fields
        self.retention_ns = retention_ns
        self._get_entity = field_getter((fields.entity,))
        self._get_parent = field_getter((fields.parent,))
        self._starts = [(field_getter((f,)), frozenset(v)) for f, v in fields.starts]
        self._ends = [(field_getter((f,)), frozenset(v)) for f, v in fields.ends]
        meta = store.get_meta(_META)
        if not isinstance(meta, dict):
            meta = {"ended": deque()}
            store.set_meta(_META, meta)
        self._ended: deque[tuple[int, Any]] = meta["ended"]

    # -- reading events -----------------------------------------------------------------------

    def entity_of(self, event: Event) -> Any:
        """The event's process entity id, or ``None``."""
        return _entity(self._get_entity(event.fields))

    def parent_of(self, event: Event) -> Any:
        """The entity id of the event's parent process, or ``None``."""
        return _entity(self._get_parent(event.fields))

    @staticmethod
    def _is(tests: list[tuple[Any, frozenset[Any]]], event: Event) -> bool:
        for get, values in tests:
            value = get(event.fields)
            if type(value) is list:
                if any(v in values for v in value if type(v) in (str, int)):
                    return True
            elif type(value) in (str, int) and value in values:
                return True
        return False

    # -- updates ------------------------------------------------------------------------------

    def observe(self, event: Event) -> None:
        """Follow process starts and ends; age out ended processes by event time."""
        ended, now = self._ended, event.timestamp
        if ended and now is not None and ended[0][0] < now - self.retention_ns:
            self.age_out(now)
        if "process" not in event.categories:
            return
        if self._is(self._starts, event):
            self.start(event)
        elif self._is(self._ends, event):
            self.end(event)

    def _node(self, entity: Any) -> list[Any] | None:
        return self.store.get(LINEAGE_RULE, (entity,))

    def _put(self, entity: Any, node: list[Any]) -> None:
        self.store.put(LINEAGE_RULE, (entity,), node)

    def _new_node(self, parent: Any) -> list[Any]:
        pnode = None if parent is None else self._node(parent)
        if pnode is None:
            return [parent, [], [], [], None]
        inherited = sorted(set(pnode[SOURCES]) | set(pnode[DESCENDANT_OF]))
        return [parent, [], inherited, list(pnode[SOURCES]), None]

    def start(self, event: Event) -> None:
        """A process start: a new node inheriting its parent's marks."""
        entity = self.entity_of(event)
        if entity is None:
            return
        if self._node(entity) is not None:
            self.store.count(LINEAGE_RULE, "entities_reused")
        self._put(entity, self._new_node(self.parent_of(event)))
        self.store.count(LINEAGE_RULE, "processes_started")

    def end(self, event: Event) -> None:
        """A process end: the node is kept for ``retention_ns`` more of event time."""
        entity = self.entity_of(event)
        if entity is None:
            return
        node = self._node(entity)
        if node is None:
            return
        now = event.timestamp
        node[ENDED] = 0 if now is None else now
        self._put(entity, node)
        self._ended.append((node[ENDED], entity))
        self.store.count(LINEAGE_RULE, "processes_ended")

    def age_out(self, now: int) -> None:
        """Remove the processes that ended more than ``retention_ns`` before ``now``."""
        cutoff = now - self.retention_ns
        ended = self._ended
        while ended and ended[0][0] < cutoff:
            when, entity = ended.popleft()
            node = self._node(entity)
            if node is not None and node[ENDED] is not None and node[ENDED] <= when:
                self.store.delete(LINEAGE_RULE, (entity,))
                self.store.count(LINEAGE_RULE, "processes_aged_out")

    def mark(self, event: Event, mark: str) -> None:
        """The event's process is a source of ``mark`` (an event of it matched the query)."""
        entity = self.entity_of(event)
        if entity is None:
            return
        node = self._node(entity)
        if node is None:  # a process seen before its start event (or started before we ran)
            node = self._new_node(self.parent_of(event))
        if mark not in node[SOURCES]:
            node[SOURCES].append(mark)
            self._put(entity, node)

    # -- questions ----------------------------------------------------------------------------

    def holds(self, event: Event, relation: str, mark: str) -> bool:
        """Whether ``relation of`` the query of ``mark`` holds for the event's process."""
        entity = self.entity_of(event)
        node = None if entity is None else self._node(entity)
        if relation == "event":
            return node is not None and mark in node[SOURCES]
        if node is not None:
            return mark in node[DESCENDANT_OF if relation == "descendant" else CHILD_OF]
        parent = self.parent_of(event)  # an unknown process: ask its parent, if the event names it
        pnode = None if parent is None else self._node(parent)
        if pnode is None:
            return False
        if relation == "child":
            return mark in pnode[SOURCES]
        return mark in pnode[SOURCES] or mark in pnode[DESCENDANT_OF]

    def size(self) -> int:
        """How many processes the tree holds."""
        return sum(1 for _ in self.store.items(LINEAGE_RULE))
