"""A hand-written Lua rule package running in its own sandboxed LuaJIT state.

Each package gets a separate Lua state, so a fault (error, instruction budget, memory cap) is
charged to, and quarantines, that package alone. See ``sandbox.lua`` and docs/lua-rules.md for
what the package code can reach and why the JIT is off there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from kestrel_core import ir
from kestrel_lua.columns import ColumnPlan, LuaValues, parse_field
from kestrel_lua.host import HostCallbacks, Regexes, from_lua
from kestrel_lua.state import load_library, lua_source, new_state

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_lua.manifest import Manifest


@attrs.frozen
class Limits:
    """Per-package limits. Instruction counts are Lua VM instructions (counted every 1,000)."""

    memory: int = 64 << 20
    instructions_per_event: int = 200_000
    instructions_per_batch: int = 1_000_000
    instructions_init: int = 10_000_000


class PackageFault(Exception):
    """A package failed: ``kind`` is ``error``, ``budget`` or ``memory``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


@attrs.define
class PackageResult:
    """What one batch produced: hit indexes (0-based, into the batch given), their captures
    (by hit index) and the alerts the package emitted."""

    hits: list[int]
    captures: dict[int, dict[str, Any]]
    emitted: list[dict[str, Any]]


class LuaPackage:
    """One loaded package. Construction runs its top level and ``pred_init`` under the budget and
    raises :class:`PackageFault` if they fail."""

    def __init__(self, manifest: Manifest, limits: Limits) -> None:
        self.manifest = manifest
        self.limits = limits
        self.rt = new_state(max_memory=limits.memory)
        self.regexes = Regexes()
        self.host = HostCallbacks(self.regexes)
        h = self.host.as_table(self.rt)
        h["re_compile"] = self._re_compile
        lib = load_library(self.rt, h)
        self.values = LuaValues(self.rt, lib)
        self.host.values = self.values
        boot = self.rt.eval(
            "function(text, K, H, fields) "
            "return assert(loadstring(text, '=kestrel/sandbox.lua'))(K, H, fields) end"
        )
        self.plan = ColumnPlan()
        for path in manifest.fields:
            self.plan.column(ir.Field(parse_field(path)))
        lower = {
            name: self.plan.column(ir.Field(parse_field(name)), lower=True)
            for name in manifest.lower_fields
        }
        for pattern in manifest.patterns:
            self.regexes.compile(pattern)
        table = self.rt.table_from
        config = table(
            {
                "fields": table(list(manifest.fields)),
                "lower": table(lower),
                "caps": table(dict.fromkeys(manifest.capabilities, True)),
            }
        )
        self.S = boot(lua_source("sandbox.lua"), lib, h, config)
        out = self.S.load(
            manifest.code, f"{manifest.id}/predicate.lua", limits.instructions_init, manifest.batch
        )
        kind, msg = _pair(out)
        if kind is not None:
            raise PackageFault(str(kind), str(msg))

    def _re_compile(self, pattern: str, case_insensitive: bool) -> int:
        return self.regexes.compile(pattern, bool(case_insensitive))

    def run(self, events: Sequence[Event]) -> PackageResult:
        """Evaluate one batch; raises :class:`PackageFault` on an error or a spent limit."""
        n = len(events)
        if n == 0:
            return PackageResult([], {}, [])
        columns, _ = self.plan.build(events, self.values)
        budget = self.limits.instructions_per_batch + self.limits.instructions_per_event * n
        try:
            out = self.S.run(n, columns, budget)
        except MemoryError as exc:  # lupa's allocator refused outside any Lua pcall
            raise PackageFault("memory", str(exc) or "not enough memory") from None
        if not isinstance(out, tuple) or out[0] is not None:
            kind, msg = _pair(out)
            raise PackageFault(str(kind), str(msg))
        _, hits, caps, emitted = out
        hit_list = [int(h) - 1 for h in hits.values()]
        captures: dict[int, dict[str, Any]] = {}
        for j, cap in caps.items():
            if cap:
                captures[hit_list[int(j) - 1]] = {str(k): from_lua(v) for k, v in cap.items()}
        alerts = [
            {
                "event": int(e["ev"]) - 1 if isinstance(e["ev"], (int, float)) else None,
                "details": {str(k): from_lua(v) for k, v in e["details"].items()},
            }
            for e in emitted.values()
        ]
        return PackageResult(hit_list, captures, alerts)

    def memory(self) -> int:
        """Bytes used by the package's Lua state."""
        return int(self.rt.get_memory_used() or 0)


def _pair(out: Any) -> tuple[Any, Any]:
    if isinstance(out, tuple):
        return out[0], out[1] if len(out) > 1 else None
    return out, None
