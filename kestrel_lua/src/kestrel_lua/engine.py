"""A compiled EQL rule set: generated Lua in one trusted LuaJIT state, JIT on."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

import attrs

from kestrel_core import ir
from kestrel_core.errors import CompileError
from kestrel_core.runtime.python.router import known_ids, router_or_none
from kestrel_lua.codegen import LuaGenerator
from kestrel_lua.columns import ColumnPlan, LuaValues
from kestrel_lua.host import HostCallbacks, Regexes
from kestrel_lua.luastr import lua_str
from kestrel_lua.routing import Plan, Planner
from kestrel_lua.state import load_library, new_state

if TYPE_CHECKING:
    from kestrel_core.events.model import Event

log = logging.getLogger(__name__)

#: Trace limits raised so that a thousand generated loops stay compiled.
JIT_OPTIONS = "jit.opt.start('maxtrace=20000', 'maxrecord=16000', 'maxside=400', 'maxmcode=131072')"


@attrs.frozen
class Generated:
    """The generated Lua of a predicate set: its column plan, regexes, one chunk per predicate,
    the column ids each predicate reads, and the functions evaluated on the host."""

    plan: ColumnPlan
    regexes: Regexes
    chunks: list[str]
    columns: list[frozenset[int]]
    host_calls: set[str]


def generate(predicates: Sequence[ir.Predicate]) -> Generated:
    """Generate the Lua chunk of every predicate."""
    plan = ColumnPlan()
    regexes = Regexes()
    gen = LuaGenerator(plan, regexes.compile)
    chunks, columns = [], []
    for pred in predicates:
        plan.current_category = pred.category
        plan.category_key(pred.category)
        chunks.append(gen.predicate(pred))
        columns.append(frozenset(gen.columns))
    return Generated(plan, regexes, chunks, columns, gen.host_calls)


def render_source(predicates: Sequence[ir.Predicate], chunks: Sequence[str]) -> str:
    """All chunks as one listing, each headed by a comment naming its predicate."""
    out = []
    for pred, chunk in zip(predicates, chunks, strict=False):
        out.append(
            f"-- predicate {pred.id}: rule {lua_str(pred.rule_id)} step {pred.step} "
            f"category {lua_str(pred.category or 'any')}\n{chunk}"
        )
    return "\n".join(out)


def _by_predicate(positions: Sequence[tuple[int, ...]]) -> tuple[list[int], list[int], list[int]]:
    """Per-row candidates turned per predicate: ``(order, starts, rows)``, predicate
    ``order[k]`` evaluating the rows ``rows[starts[k] - 1 : starts[k + 1] - 1]`` (all 1-based,
    as ``K.run_routed`` reads them)."""
    by_position: dict[int, list[int]] = {}
    for r, found in enumerate(positions, 1):
        for p in found:
            have = by_position.get(p)
            if have is None:
                by_position[p] = [r]
            else:
                have.append(r)
    order, starts, rows = list(by_position), [1], []
    for p in order:
        rows += by_position[p]
        starts.append(len(rows) + 1)
    return order, starts, rows


class CompiledEql:
    """Generated predicates of a rule set, evaluated a column batch at a time by one Lua call.

    With ``routing`` (the default) the shared router picks each event's candidate predicates
    and ``K.run_routed`` evaluates only those, on only the events that have any, whose fields
    are read only for the columns the candidates need. Without it ``K.run`` runs every
    predicate over the events of its category."""

    def __init__(self, predicates: Sequence[ir.Predicate], routing: bool = True) -> None:
        self.predicates = list(predicates)
        generated = generate(self.predicates)
        self.plan, regexes = generated.plan, generated.regexes
        self.chunks, self.host_functions = generated.chunks, generated.host_calls
        self.rt = new_state()
        self.rt.execute(JIT_OPTIONS)
        self.host = HostCallbacks(regexes)
        self.lib = load_library(self.rt, self.host.as_table(self.rt))
        self.values = LuaValues(self.rt, self.lib)
        self.host.values = self.values
        loader = self.rt.eval(
            "function(text, name, K) local f, err = loadstring(text, name) "
            "if not f then return nil, err end return f(K), nil end"
        )
        functions, ids, cats = [], [], []
        for pred, chunk in zip(self.predicates, self.chunks, strict=False):
            fn, err = loader(chunk, f"=predicate {pred.id}", self.lib)
            if fn is None:
                raise CompileError(f"rule {pred.rule_id!r}: generated Lua does not load: {err}")
            functions.append(fn)
            ids.append(pred.id)
            cats.append(self.plan.category_key(pred.category))
        table = self.rt.table_from
        self._P, self._ids, self._cats = table(functions), table(ids), table(cats)
        self.quarantine = table({})
        self._run, self._run_routed = self.lib.run, self.lib.run_routed
        #: (event, predicate) evaluations asked for (unrouted: events x predicates)
        self.evaluated = 0
        self.routing = "off"
        self.routing_faults = 0
        self.planner = self._planner(generated.columns) if routing else None
        #: a predicate id's position (the id the router and the Lua tables use)
        self._position = {p.id: i for i, p in enumerate(self.predicates)}
        #: the predicate ids the last :meth:`run` passed over
        self.last_skipped: frozenset[int] = frozenset()

    def _planner(self, columns: Sequence[frozenset[int]]) -> Planner | None:
        """The router over the predicates (by position); ``None`` (unrouted) if it fails."""
        local = [
            ir.Predicate(i, p.rule_id, p.step, p.category, p.condition)
            for i, p in enumerate(self.predicates)
        ]
        router, self.routing = router_or_none(local, "lua")
        if router is None:
            return None
        return Planner(router, [p.category for p in local], columns)

    def run(
        self,
        events: Sequence[Event],
        skip: AbstractSet[int] | None = None,
        only: Sequence[int] | None = None,
    ) -> tuple[list[tuple[int, int]], list[tuple[int, str]]]:
        """Hits ``(event index, predicate id)`` (unsorted); faults ``(predicate id, message)``.

        ``skip``: predicate ids not to evaluate where the batch is routed (:attr:`last_skipped`
        says which were); ``only``: evaluate just these ids, on the events of their category."""
        if only is None:
            self.last_skipped = frozenset()
        if not self.predicates or not events:
            return [], []
        skipped: frozenset[int] = frozenset()
        local_skip = local_only = None
        if only is not None:
            local_only = sorted(known_ids(only, self._position)[1])
            if not local_only:
                return [], []
        elif skip:
            skipped, local_skip = known_ids(skip, self._position)
        plan = self._plan(events, local_skip, local_only)
        if plan is not None:
            if only is None:
                self.last_skipped = skipped
            return self._routed(events, plan)
        if only is not None:  # the router failed: everything, unrouted, keeping those wanted
            kept = self.last_skipped
            found, faults = self.run(events)
            self.last_skipped = kept
            wanted = set(only)
            return [h for h in found if h[1] in wanted], faults
        self.evaluated += len(events) * len(self.predicates)
        columns, index = self.plan.build(events, self.values)
        out = self._run(self._P, self._ids, self._cats, index, columns, self.quarantine)
        return self._results(range(len(events)), *out)

    def _plan(
        self,
        events: Sequence[Event],
        skip: AbstractSet[int] | None = None,
        only: Sequence[int] | None = None,
    ) -> Plan | None:
        """The routed plan of a batch; ``None`` (evaluate unrouted) without routing or when the
        router fails on the batch (counted in :attr:`routing_faults`)."""
        if self.planner is None:
            return None
        try:
            return self.planner.plan(events, skip, only)
        except Exception as exc:  # the batch is still evaluated, just unrouted
            self.routing_faults += 1
            self.routing = f"on; last fault: {type(exc).__name__}: {exc}"
            return None

    def _routed(
        self, events: Sequence[Event], plan: Plan
    ) -> tuple[list[tuple[int, int]], list[tuple[int, str]]]:
        """One ``K.run_routed`` call over the planned rows."""
        self.evaluated += plan.evaluated
        if not plan.rows:
            return [], []
        columns = self.plan.build_rows([events[e] for e in plan.rows], plan.columns, self.values)
        order, starts, rows = _by_predicate(plan.positions)
        table = self.rt.table_from
        out = self._run_routed(
            self._P, self._ids, table(order), table(starts), table(rows), columns, self.quarantine
        )
        return self._results(plan.rows, *out)

    @staticmethod
    def _results(
        rows: Sequence[int], nh: Any, hits: Any, faults: Any
    ) -> tuple[list[tuple[int, int]], list[tuple[int, str]]]:
        """Hits as (event index, predicate id), the Lua row ``r`` being event ``rows[r - 1]``;
        faults as (predicate id, message)."""
        nh = int(nh)
        out = [(rows[int(hits[k]) - 1], int(hits[k + 1])) for k in range(1, nh + 1, 2)]
        flist = list(faults.values())
        return out, [(int(flist[k]), str(flist[k + 1])) for k in range(0, len(flist), 2)]

    def quarantine_predicate(self, pid: int) -> None:
        """Stop evaluating predicate ``pid``."""
        self.quarantine[pid] = True

    def memory(self) -> int:
        """Bytes used by the Lua state."""
        return int(self.rt.get_memory_used() or 0)
