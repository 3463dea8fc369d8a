"""The ``lua`` predicate runtime: compiled EQL in one LuaJIT state, each package sandboxed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kestrel_core import ir
from kestrel_core.errors import CompileError, RuleError
from kestrel_lua.engine import CompiledEql, generate, render_source
from kestrel_lua.luastr import lua_str
from kestrel_lua.manifest import load_manifest
from kestrel_lua.sandbox import Limits, LuaPackage, PackageFault

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.events.schema import Schema


def _package_ref(pred: ir.Predicate) -> str | None:
    """The package directory of an External Lua predicate; CompileError for misplaced ones."""
    cond = pred.condition
    if isinstance(cond, ir.External):
        if cond.runtime != "lua":
            raise CompileError(
                f"rule {pred.rule_id!r} is a {cond.runtime} package; the lua runtime cannot run it"
            )
        return cond.ref
    if any(isinstance(e, ir.External) for e in ir.walk(cond)):
        raise CompileError(f"rule {pred.rule_id!r}: a package condition must stand alone")
    return None


class CompiledLua:
    """A rule set compiled by the ``lua`` runtime (see :class:`LuaRuntime`).

    The IR predicates are routed (see :class:`~kestrel_lua.engine.CompiledEql`) unless
    ``routing`` is off; packages run on every event of their category."""

    def __init__(
        self,
        predicates: Sequence[ir.Predicate],
        max_faults: int,
        limits: Limits,
        routing: bool = True,
    ) -> None:
        self.predicates = list(predicates)
        self.max_faults = max_faults
        self.limits = limits
        eql, self._packages = [], {}
        self._package_preds: list[ir.Predicate] = []
        for pred in self.predicates:
            ref = _package_ref(pred)
            if ref is None:
                eql.append(pred)
            else:
                self._package_preds.append(pred)
        self.eql = CompiledEql(eql, routing)
        self.package_evaluations = 0
        self.faults: Counter[int] = Counter()
        self.fault_kinds: Counter[str] = Counter()
        self.last_fault: dict[int, str] = {}
        self.quarantined: set[int] = set()
        self.evaluations = 0
        self.events = 0
        self.batches = 0
        self.batch_errors = 0
        #: Captures of the last batch: (event index, predicate id) -> {name: value}.
        self.captures: dict[tuple[int, int], dict[str, Any]] = {}
        #: Alerts emitted by packages in the last batch (``alert_emit``), with predicate ids.
        self.emitted: list[dict[str, Any]] = []
        for pred in self._package_preds:
            self._load_package(pred)

    def _load_package(self, pred: ir.Predicate) -> None:
        ref = pred.condition.ref  # type: ignore[union-attr]
        try:
            manifest = load_manifest(Path(ref))
        except RuleError as exc:
            raise CompileError(str(exc)) from None
        try:
            self._packages[pred.id] = LuaPackage(manifest, self.limits)
        except PackageFault as fault:
            self._fault(pred.id, fault.kind, fault.message)
            self._quarantine(pred.id)
        except Exception as exc:  # lupa errors while bootstrapping count as faults too
            self._fault(pred.id, "error", str(exc))
            self._quarantine(pred.id)

    def _fault(self, pid: int, kind: str, message: str) -> None:
        self.faults[pid] += 1
        self.fault_kinds[kind] += 1
        self.last_fault[pid] = f"{kind}: {message}"[:500]
        if self.faults[pid] >= self.max_faults:
            self._quarantine(pid)

    def _quarantine(self, pid: int) -> None:
        self.quarantined.add(pid)
        if pid not in self._packages:
            self.eql.quarantine_predicate(pid)

    #: :meth:`evaluate` takes ``skip`` (see :class:`kestrel_core.runtime.api.CompiledPredicates`)
    skips = True

    def evaluate(
        self, events: Sequence[Event], skip: AbstractSet[int] | None = None
    ) -> list[tuple[int, int]]:
        """Every (event index, predicate id) whose condition is true (predicates in ``skip``
        are passed over where the batch is routed); never raises."""
        self.batches += 1
        self.events += len(events)
        self.evaluations += len(events) * len(self.predicates)
        self.captures, self.emitted = {}, []
        hits = self._run_eql(events, skip, None)
        for pred in self._package_preds:
            if pred.id not in self.quarantined:
                hits.extend(self._run_package(pred, events))
        hits.sort()
        return hits

    def evaluate_more(
        self, events: Sequence[Event], start: int, ids: Sequence[int]
    ) -> list[tuple[int, int]]:
        """After ``evaluate(events, skip)``: the hits over ``events[start:]`` of those of
        ``ids`` it passed over (event indexes counted from ``events[0]``)."""
        wanted = [p for p in ids if p in self.eql.last_skipped]
        if not wanted or start >= len(events):
            return []
        found = self._run_eql(events[start:], None, wanted)
        return sorted((start + e, p) for e, p in found)

    def _run_eql(
        self, events: Sequence[Event], skip: AbstractSet[int] | None, only: Sequence[int] | None
    ) -> list[tuple[int, int]]:
        hits: list[tuple[int, int]] = []
        try:
            found, faults = self.eql.run(events, skip, only)
            hits.extend(found)
            for pid, message in faults:
                self._fault(pid, "error", message)
        except Exception as exc:
            self.batch_errors += 1
            self.fault_kinds["batch"] += 1
            self.last_fault[-1] = str(exc)[:500]
        return hits

    def _run_package(self, pred: ir.Predicate, events: Sequence[Event]) -> list[tuple[int, int]]:
        package = self._packages[pred.id]
        cat = pred.category
        index = [i for i, e in enumerate(events) if cat is None or cat in e.categories]
        if not index:
            return []
        self.package_evaluations += len(index)
        try:
            result = package.run([events[i] for i in index])
        except PackageFault as fault:
            self._fault(pred.id, fault.kind, fault.message)
            return []
        except Exception as exc:
            self._fault(pred.id, "error", str(exc))
            return []
        for j, cap in result.captures.items():
            self.captures[(index[j], pred.id)] = cap
        for alert in result.emitted:
            ev = alert["event"]
            self.emitted.append(
                {
                    "predicate": pred.id,
                    "event": index[ev] if isinstance(ev, int) and 0 <= ev < len(index) else None,
                    "details": alert["details"],
                }
            )
        return [(index[j], pred.id) for j in result.hits]

    def _evaluated(self) -> int:
        """(event, predicate) evaluations: routed candidates plus package events."""
        return self.eql.evaluated + self.package_evaluations

    def stats(self) -> dict[str, Any]:
        """Counters: evaluations, faults, quarantined predicates, host calls, memory."""
        return {
            "runtime": "lua",
            "predicates": len(self.predicates),
            "packages": len(self._package_preds),
            "batches": self.batches,
            "evaluations": self.evaluations,
            "predicates_evaluated": self._evaluated(),
            "predicates_per_event": round(self._evaluated() / max(1, self.events), 3),
            "routing": self.eql.routing,
            "routing_faults": self.eql.routing_faults,
            "faults": sum(self.faults.values()),
            "faults_by_kind": dict(self.fault_kinds),
            "faults_by_predicate": dict(self.faults),
            "last_fault": dict(self.last_fault),
            "quarantined": sorted(self.quarantined),
            "batch_errors": self.batch_errors,
            "host_calls": dict(self.eql.host.calls),
            "host_functions": sorted(self.eql.host_functions),
            "memory_bytes": self.eql.memory() + sum(p.memory() for p in self._packages.values()),
        }


class LuaRuntime:
    """LuaJIT predicate runtime: EQL compiled to Lua, hand-written Lua packages sandboxed.

    Options: ``max_faults`` (a predicate is quarantined after this many faults, default 3),
    ``memory_limit`` (bytes per package state, default 64 MiB), ``instructions_per_event`` and
    ``instructions_init`` (package instruction budgets), ``routing`` (evaluate only each
    event's candidate predicates, default on).
    """

    name = "lua"

    def __init__(
        self,
        max_faults: int = 3,
        memory_limit: int = 64 << 20,
        instructions_per_event: int = 200_000,
        instructions_init: int = 10_000_000,
        routing: bool | str = True,
        **_: Any,
    ) -> None:
        self.max_faults = int(max_faults)
        self.routing = str(routing).lower() not in ("false", "off", "no", "0")
        self.limits = Limits(
            memory=int(memory_limit),
            instructions_per_event=int(instructions_per_event),
            instructions_init=int(instructions_init),
        )

    def compile(self, predicates: Sequence[ir.Predicate], schema: Schema | None) -> CompiledLua:
        """Compile the whole set: one Lua state for the IR, one sandbox per package."""
        return CompiledLua(predicates, self.max_faults, self.limits, self.routing)

    def source(self, predicates: Sequence[ir.Predicate], schema: Schema | None) -> str:
        """The generated Lua of the IR predicates; packages are listed by directory."""
        eql = [p for p in predicates if _package_ref(p) is None]
        out = [render_source(eql, generate(eql).chunks)]
        for p in predicates:
            ref = _package_ref(p)
            if ref is not None:
                out.append(f"-- predicate {p.id}: lua package {lua_str(ref)} (runs sandboxed)")
        return "\n".join(x for x in out if x)
