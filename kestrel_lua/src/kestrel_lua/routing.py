"""Routing of the ``lua`` runtime: per event, only the predicates that may be true on it.

The shared :class:`~kestrel_core.runtime.python.router.Router` names, per event, the candidate
predicates (every predicate true on the event is one of them). :class:`Planner` turns those into
the work of one batch: the events that have candidates (the only ones whose fields are read),
their candidates as positions in the Lua table of predicate functions, and the columns each of
those events needs. What an event evaluates depends only on its categories and its candidates,
so it is worked out once per distinct pair and cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

import attrs

from kestrel_core.runtime.python.router import routes_for

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.runtime.python.router import Router

@attrs.frozen
class Route:
    """What an event with given categories and candidates evaluates: 1-based positions of its
    candidates (of its categories) and the column ids they read."""

    positions: tuple[int, ...]
    columns: frozenset[int]


@attrs.define
class Plan:
    """The routed work of one batch: ``rows`` are the indexes of the events that evaluate
    anything, in order; ``positions`` and ``columns`` are per row."""

    rows: list[int] = attrs.Factory(list)
    positions: list[tuple[int, ...]] = attrs.Factory(list)
    columns: list[frozenset[int]] = attrs.Factory(list)

    @property
    def evaluated(self) -> int:
        """(event, predicate) evaluations the plan asks for."""
        return sum(map(len, self.positions))


class Planner:
    """Plans batches for predicates ``0..n-1`` (as the router sees them) of the given
    ``categories`` (``None``: any), each reading the column ids ``columns[id]``."""

    def __init__(
        self,
        router: Router,
        categories: Sequence[str | None],
        columns: Sequence[Iterable[int]],
    ) -> None:
        self.router = router
        self.categories = list(categories)
        self.columns = [frozenset(c) for c in columns]
        self._routes: dict[tuple[tuple[str, ...], tuple[int, ...]], Route] = {}

    def plan(
        self,
        events: Sequence[Event],
        skip: AbstractSet[int] | None = None,
        only: Sequence[int] | None = None,
    ) -> Plan:
        """The work of ``events``: route each event through the cache (ids as the router sees
        them: ``skip`` left out, or ``only`` these; see :func:`routes_for`)."""
        plan = Plan()
        routes = routes_for(self.router, events, self._route, self._routes, skip, only)
        for e, route in enumerate(routes):
            if route.positions:
                plan.rows.append(e)
                plan.positions.append(route.positions)
                plan.columns.append(route.columns)
        return plan

    def _route(self, categories: tuple[str, ...], found: Iterable[int]) -> Route:
        """Candidates of other categories dropped (the router's candidates already respect
        categories: this only makes sure of it), as 1-based positions."""
        ids = [
            pid
            for pid in found
            if self.categories[pid] is None or self.categories[pid] in categories
        ]
        columns = frozenset().union(*(self.columns[pid] for pid in ids))
        return Route(tuple(pid + 1 for pid in ids), columns)
