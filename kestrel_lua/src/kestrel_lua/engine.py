"""A compiled EQL rule set: generated Lua in one trusted LuaJIT state, JIT on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kestrel_core.errors import CompileError
from kestrel_lua.codegen import LuaGenerator
from kestrel_lua.columns import ColumnPlan, LuaValues
from kestrel_lua.host import HostCallbacks, Regexes
from kestrel_lua.luastr import lua_str
from kestrel_lua.state import load_library, new_state

if TYPE_CHECKING:
    from kestrel_core import ir
    from kestrel_core.events.model import Event

#: Trace limits raised so that a thousand generated loops stay compiled.
JIT_OPTIONS = "jit.opt.start('maxtrace=20000', 'maxrecord=16000', 'maxside=400', 'maxmcode=131072')"


def generate(predicates: Sequence[ir.Predicate]) -> tuple[ColumnPlan, Regexes, list[str], set[str]]:
    """Generate the Lua chunk of every predicate: (plan, regexes, chunks, host-evaluated calls)."""
    plan = ColumnPlan()
    regexes = Regexes()
    gen = LuaGenerator(plan, regexes.compile)
    chunks = []
    for pred in predicates:
        plan.current_category = pred.category
        plan.category_key(pred.category)
        chunks.append(gen.predicate(pred))
    return plan, regexes, chunks, gen.host_calls


def render_source(predicates: Sequence[ir.Predicate], chunks: Sequence[str]) -> str:
    """All chunks as one listing, each headed by a comment naming its predicate."""
    out = []
    for pred, chunk in zip(predicates, chunks, strict=False):
        out.append(
            f"-- predicate {pred.id}: rule {lua_str(pred.rule_id)} step {pred.step} "
            f"category {lua_str(pred.category or 'any')}\n{chunk}"
        )
    return "\n".join(out)


class CompiledEql:
    """Generated predicates of a rule set, evaluated a column batch at a time by one Lua call."""

    def __init__(self, predicates: Sequence[ir.Predicate]) -> None:
        self.predicates = list(predicates)
        self.plan, regexes, self.chunks, self.host_functions = generate(self.predicates)
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
        self._run = self.lib.run

    def run(self, events: Sequence[Event]) -> tuple[list[tuple[int, int]], list[tuple[int, str]]]:
        """Hits ``(event index, predicate id)`` (unsorted); faults ``(predicate id, message)``."""
        if not self.predicates or not events:
            return [], []
        columns, index = self.plan.build(events, self.values)
        nh, hits, faults = self._run(
            self._P, self._ids, self._cats, len(events), index, columns, self.quarantine
        )
        nh = int(nh)
        out = [(int(hits[k]) - 1, int(hits[k + 1])) for k in range(1, nh + 1, 2)]
        flist = list(faults.values())
        return out, [(int(flist[k]), str(flist[k + 1])) for k in range(0, len(flist), 2)]

    def quarantine_predicate(self, pid: int) -> None:
        """Stop evaluating predicate ``pid``."""
        self.quarantine[pid] = True

    def memory(self) -> int:
        """Bytes used by the Lua state."""
        return int(self.rt.get_memory_used() or 0)
