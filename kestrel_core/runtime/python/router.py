"""The router on its own: which predicates each event can satisfy, for runtimes that evaluate
predicates themselves (``wasm``, ``lua``) but should not evaluate all of them on every event.

It is the python runtime's index (:mod:`.index`) compiled into the same kind of generated code
the python runtime runs, minus the predicate calls: the candidates are returned instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.ir import Predicate


class Router:
    """Candidate predicates per event for a rule set's predicates.

    Guarantee: every predicate whose condition is true on an event is among that event's
    candidates (the routed code and the interpreter are compared by property tests). The
    candidates of an event are the predicate ids in ascending order.
    """

    def __init__(self, predicates: Sequence[Predicate]) -> None:
        self.predicates = list(predicates)
        by_category: dict[str | None, list[int]] = {}
        for p in self.predicates:
            by_category.setdefault(p.category, []).append(p.id)
        anywhere = by_category.pop(None, [])
        self._by_category = {c: tuple(sorted(ids + anywhere)) for c, ids in by_category.items()}
        self._anywhere = tuple(sorted(anywhere))
        self.routed = 0

    def candidates(self, events: Sequence[Event]) -> list[tuple[int, ...]]:
        """Per event (in order), the ids of the predicates that may be true on it."""
        out: list[tuple[int, ...]] = []
        table, anywhere = self._by_category, self._anywhere
        for e in events:
            cats = e.categories
            if len(cats) == 1:
                found = table.get(cats[0], anywhere)
            else:
                ids = set(anywhere)
                for c in cats:
                    ids.update(table.get(c, ()))
                found = tuple(sorted(ids))
            self.routed += len(found)
            out.append(found)
        return out

    def stats(self) -> dict[str, Any]:
        """How many candidates were handed out in all."""
        return {"candidates": self.routed}
