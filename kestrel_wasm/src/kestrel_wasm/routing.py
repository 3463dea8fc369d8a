"""Routing of the ``wasm`` runtime: per event, only the predicates that may be true on it.

The shared :class:`~kestrel_core.runtime.python.router.Router` names, per event, the candidate
predicates (every predicate true on the event is one of them). :class:`Planner` turns those into
the work of one batch: the events that have candidates compiled to wasm (only these are
marshalled, each with only the columns its candidates read), their candidates, and the
(event, predicate) pairs the host evaluates itself. What an event evaluates depends only on its
categories and its candidates, so it is worked out once per distinct pair and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

import attrs

from kestrel_core.runtime.python.router import routes_for
from kestrel_wasm.layout import ColumnSubset

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.runtime.python.router import Router

@attrs.frozen
class Route:
    """What an event with given categories and candidates evaluates: its candidates compiled to
    wasm, those evaluated on the host, and the columns the wasm ones read."""

    wasm: tuple[int, ...]
    host: tuple[int, ...]
    subset: ColumnSubset | None


@attrs.define
class Plan:
    """The routed work of one batch.

    ``rows`` are the indexes of the events marshalled for wasm, in order; ``candidates`` and
    ``subsets`` are per row; ``host`` are (event index, predicate id) pairs for the host."""

    rows: list[int] = attrs.Factory(list)
    candidates: list[tuple[int, ...]] = attrs.Factory(list)
    subsets: list[ColumnSubset] = attrs.Factory(list)
    host: list[tuple[int, int]] = attrs.Factory(list)

    @property
    def evaluated(self) -> int:
        """(event, predicate) evaluations the plan asks for."""
        return sum(map(len, self.candidates)) + len(self.host)


class Planner:
    """Plans batches for a rule set's predicates (ids ``0..n-1``, as the router sees them).

    ``categories`` is each predicate's category (``None``: any), ``wasm`` the ids compiled to
    wasm, ``columns`` the columns each of those reads, ``subset`` the encoder's factory of column
    subsets. Any other id among the candidates is evaluated on the host."""

    def __init__(
        self,
        router: Router,
        categories: Sequence[str | None],
        wasm: Collection[int],
        columns: Mapping[int, Iterable[int]],
        subset: Callable[[Iterable[int]], ColumnSubset],
    ) -> None:
        self.router = router
        self.categories = list(categories)
        self.wasm = frozenset(wasm)
        self.columns = {pid: tuple(cols) for pid, cols in columns.items()}
        self.subset = subset
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
            if route.subset is not None:
                plan.rows.append(e)
                plan.candidates.append(route.wasm)
                plan.subsets.append(route.subset)
            for pid in route.host:
                plan.host.append((e, pid))
        return plan

    def _route(self, categories: tuple[str, ...], found: Iterable[int]) -> Route:
        """Candidates split into wasm and host ones; those of other categories dropped (the
        router's candidates already respect categories: this only makes sure of it)."""
        wasm: list[int] = []
        host: list[int] = []
        for pid in found:
            category = self.categories[pid]
            if category is not None and category not in categories:
                continue
            (wasm if pid in self.wasm else host).append(pid)
        if not wasm:
            return Route((), tuple(host), None)
        columns = {c for pid in wasm for c in self.columns.get(pid, ())}
        return Route(tuple(wasm), tuple(host), self.subset(columns))
