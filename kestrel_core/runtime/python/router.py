"""The router on its own: which predicates each event can satisfy, for runtimes that evaluate
predicates themselves (``wasm``, ``lua``) but should not evaluate all of them on every event.

It is the python runtime's index (:mod:`.index`) compiled into the same kind of generated code
the python runtime runs, minus the predicate calls: the candidates are returned instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.ir import Predicate

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Routes (distinct category/candidate pairs) a cache keeps before it starts over.
MAX_ROUTES = 1 << 16


class Router:
    """Candidate predicates per event for a rule set's predicates.

    Guarantee: every predicate whose condition is true on an event is among that event's
    candidates (the routed code and the interpreter are compared by property tests). The
    candidates of an event are the predicate ids in ascending order.
    """

    def __init__(self, predicates: Sequence[Predicate]) -> None:
        from kestrel_core.runtime.python.compiled import interned, namespace_for
        from kestrel_core.runtime.python.module import generate

        self.predicates = list(predicates)
        self.source, self.routing = generate(self.predicates, router=True)
        namespace = namespace_for(self._fault)
        exec(interned(compile(self.source, "<kestrel router>", "exec")), namespace)
        self._candidates: Callable[[Sequence[Event]], list[tuple[int, ...]]] = namespace[
            "_route_events"
        ]
        self._counts: list[int] = namespace["_COUNTS"]
        self.faults = 0

    def _fault(self, where: str, exc: BaseException) -> None:
        self.faults += 1

    @property
    def routed(self) -> int:
        """Candidates handed out so far."""
        return self._counts[0]

    def candidates(
        self, events: Sequence[Event], skip: AbstractSet[int] | None = None
    ) -> list[tuple[int, ...]]:
        """Per event (in order), the ids of the predicates that may be true on it (but those
        in ``skip``)."""
        return self._candidates(events, skip)

    def stats(self) -> dict[str, Any]:
        """How many candidates were handed out in all, and how the predicates are routed."""
        return {"candidates": self.routed, **self.routing}


class CandidateSource(Protocol):
    """Anything with :meth:`Router.candidates` (a router, or a fixed one in tests)."""

    def candidates(
        self, events: Sequence[Event], skip: AbstractSet[int] | None = None
    ) -> list[tuple[int, ...]]:
        """Per event, the ids of the predicates that may be true on it (but those in skip)."""
        ...


def routes_for(
    router: CandidateSource,
    events: Sequence[Event],
    make: Callable[[tuple[str, ...], tuple[int, ...]], T],
    cache: dict[tuple[tuple[str, ...], tuple[int, ...]], T],
    skip: AbstractSet[int] | None = None,
    only: Sequence[int] | None = None,
) -> list[T]:
    """Per event, a runtime's route for it: ``make(categories, candidates)``, made once per
    distinct pair and kept in ``cache`` (emptied past :data:`MAX_ROUTES` entries). What an event
    evaluates depends only on these two, and few pairs recur in a stream. ``skip``: ids the
    router leaves out; ``only``: these ids (ascending) are every event's candidates instead of
    the router's (``make`` still drops those of other categories)."""
    if len(cache) > MAX_ROUTES:
        cache.clear()
    out: list[T] = []
    if only is not None:
        fixed = tuple(only)
        found_all: list[tuple[int, ...]] = [fixed] * len(events)
    else:
        found_all = router.candidates(events) if skip is None else router.candidates(events, skip)
    for event, found in zip(events, found_all, strict=True):
        key = (event.categories, found)
        route = cache.get(key)
        if route is None:
            route = cache[key] = make(event.categories, found)
        out.append(route)
    return out


def known_ids(
    ids: AbstractSet[int] | Sequence[int], position: dict[int, int]
) -> tuple[frozenset[int], frozenset[int]]:
    """Of predicate ids ``ids``, those a runtime holds (keys of ``position``), and their
    positions (the ids its router sees): how wasm and lua take the detector's ``skip``."""
    own = frozenset(p for p in ids if p in position)
    return own, frozenset(position[p] for p in own)


def router_or_none(predicates: Sequence[Predicate], runtime: str) -> tuple[Router | None, str]:
    """A router over ``predicates`` and the routing status (``"on"``), or ``None`` and why
    not: a rule set the router cannot build still runs, unrouted (logged as a warning)."""
    try:
        return Router(predicates), "on"
    except Exception as exc:  # an unroutable set still runs, unrouted
        log.warning("%s: routing is off for this rule set: %s", runtime, exc)
        return None, f"off: {type(exc).__name__}: {exc}"
