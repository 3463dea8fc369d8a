"""The ``wasm`` predicate runtime: compiled rule sets and prebuilt packages under wasmtime.

``compile`` turns the IR predicates of a rule set into one batch module (see
:mod:`kestrel_wasm.codegen`) and loads every package step (``ir.External``) as its package's own
module. ``evaluate`` routes the batch (:mod:`kestrel_wasm.routing`), runs each event's candidate
predicates and all package steps, evaluates on the host what the generator or the module
deferred, and merges the hits in (event, predicate id) order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import orjson
import wasmtime

from kestrel_core import ir
from kestrel_core.errors import CompileError, KestrelError
from kestrel_core.events.model import Event
from kestrel_core.runtime.interpreter import matches
from kestrel_core.runtime.python.router import known_ids, router_or_none
from kestrel_wasm.codegen import Generated, WatGenerator
from kestrel_wasm.engine import Limits, WasmEngine
from kestrel_wasm.instance import BatchModule, ModuleFault, V1Package
from kestrel_wasm.layout import ColumnSubset
from kestrel_wasm.manifest import load_manifest
from kestrel_wasm.routing import Plan, Planner

log = logging.getLogger(__name__)


def generate(predicates: Sequence[ir.Predicate]) -> Generated:
    """Generate the WAT of an IR predicate set (``External`` steps excluded by the caller)."""
    return WatGenerator().generate(predicates)


def assemble(wat: str) -> bytes:
    """WAT text -> wasm bytes (a :class:`CompileError` if it does not assemble)."""
    try:
        return bytes(wasmtime.wat2wasm(wat))
    except wasmtime.WasmtimeError as exc:  # a generator bug: say so
        raise CompileError(f"generated WAT does not assemble: {exc}") from exc


def _no_subset(columns: Iterable[int]) -> ColumnSubset:
    """Column subsets of a rule set without a module (all its predicates run on the host)."""
    return ColumnSubset((), (), False)


def _decode_capture(payload: bytes) -> Any:
    """A capture as JSON when it is JSON, else as text."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload.decode("utf-8", "replace")


class _Package:
    """A loaded package and the predicate ids of its steps."""

    def __init__(self, ref: str, module: V1Package | BatchModule | None, error: str | None) -> None:
        self.ref = ref
        self.module = module
        self.error = error
        self.steps: dict[int, int] = {}  # step -> predicate id
        self.categories: dict[int, str | None] = {}

    def stats(self) -> dict[str, Any]:
        if self.module is None:
            return {"module": self.ref, "faults": 0, "quarantined": True, "last_error": self.error}
        return self.module.stats()


class WasmPredicates:
    """A rule set compiled by the ``wasm`` runtime (``CompiledPredicates``).

    With ``routing`` (the default) the shared router picks, per event, the candidate predicates;
    only events with candidates are marshalled and only their candidates are evaluated (see
    :mod:`kestrel_wasm.routing`). Without it every predicate runs on every event of its
    category. Package steps are never routed: they run on the events of their category."""

    def __init__(
        self, predicates: Sequence[ir.Predicate], engine: WasmEngine, routing: bool = True
    ) -> None:
        self.predicates = list(predicates)
        self.engine = engine
        ir_preds = [p for p in self.predicates if not isinstance(p.condition, ir.External)]
        local = [
            ir.Predicate(i, p.rule_id, p.step, p.category, p.condition)
            for i, p in enumerate(ir_preds)
        ]
        self.generated = generate(local)
        self.wat = self.generated.wat
        self._ids = [p.id for p in ir_preds]
        #: a predicate id's local id (the router's and the module's)
        self._local = {pid: i for i, pid in enumerate(self._ids)}
        self._last_skipped: frozenset[int] = frozenset()
        self.host = [ir_preds[i] for i in sorted(self.generated.host_predicates)]
        self.module: BatchModule | None = None
        if self.generated.wasm_predicates:
            self.module = BatchModule(
                "rule set",
                engine,
                assemble(self.wat),
                self.generated.columns,
                self.generated.categories,
                self.generated.regexes,
                len(local),
                quarantine=False,  # a fault skips the event; the rule set keeps running
                fixed_memory=True,  # the generated code has no memory.grow
            )
        self.packages: dict[str, _Package] = {}
        for pred in self.predicates:
            if isinstance(pred.condition, ir.External):
                self._add_package_step(pred)
        self.counters = {
            "events": 0,
            "batches": 0,
            "deferred": 0,
            "host_evaluations": 0,
            "predicates_evaluated": 0,
            "routing_faults": 0,
        }
        self._captures: dict[tuple[int, int], Any] = {}
        self.routing = "off"
        self.planner: Planner | None = None
        if routing:
            self.planner = self._planner(local)

    def _planner(self, local: Sequence[ir.Predicate]) -> Planner | None:
        """The router over the IR predicates (local ids); ``None`` (unrouted) if it fails."""
        router, self.routing = router_or_none(local, "wasm")
        if router is None:
            return None
        subset = self.module.encoder.subset if self.module is not None else _no_subset
        return Planner(
            router,
            [p.category for p in local],
            self.generated.wasm_predicates,
            self.generated.predicate_columns,
            subset,
        )

    def _add_package_step(self, pred: ir.Predicate) -> None:
        ext = pred.condition
        assert isinstance(ext, ir.External)
        if ext.runtime != "wasm":
            raise CompileError(
                f"rule {pred.rule_id!r}: a {ext.runtime!r} package cannot run in wasm"
            )
        package = self.packages.get(ext.ref)
        if package is None:
            package = self.packages[ext.ref] = load_package(ext.ref, self.engine)
        package.steps[ext.step] = pred.id
        package.categories[ext.step] = pred.category

    #: :meth:`evaluate` takes ``skip`` (see :class:`kestrel_core.runtime.api.CompiledPredicates`)
    skips = True

    def evaluate(
        self, events: Sequence[Event], skip: AbstractSet[int] | None = None
    ) -> list[tuple[int, int]]:
        """Every (event index, predicate id) that is true, sorted (predicates in ``skip`` are
        passed over where the batch is routed)."""
        self.counters["events"] += len(events)
        self.counters["batches"] += 1
        skipped, local_skip = known_ids(skip or (), self._local)
        plan = self._plan(events, local_skip or None)
        self._last_skipped = frozenset() if plan is None else skipped
        hits = self._evaluate_all(events) if plan is None else self._evaluate_routed(events, plan)
        self._captures = {}
        for package in self.packages.values():
            hits.extend(self._run_package(package, events))
        hits.sort()
        return hits

    def evaluate_more(
        self, events: Sequence[Event], start: int, ids: Sequence[int]
    ) -> list[tuple[int, int]]:
        """After ``evaluate(events, skip)``: the hits over ``events[start:]`` of those of
        ``ids`` it passed over (event indexes counted from ``events[0]``)."""
        wanted, local = known_ids([p for p in ids if p in self._last_skipped], self._local)
        if not wanted or start >= len(events):
            return []
        rest = events[start:]
        plan = self._plan(rest, None, sorted(local))
        if plan is None:  # the router failed: everything, unrouted, keeping those wanted
            hits = [(e, p) for e, p in self._evaluate_all(rest) if p in wanted]
        else:
            hits = self._evaluate_routed(rest, plan)
        return sorted((start + e, p) for e, p in hits)

    def _plan(
        self,
        events: Sequence[Event],
        skip: AbstractSet[int] | None = None,
        only: Sequence[int] | None = None,
    ) -> Plan | None:
        """The routed plan of a batch; ``None`` (evaluate unrouted) without routing or when the
        router fails on the batch (counted in ``routing_faults``)."""
        if self.planner is None:
            return None
        try:
            return self.planner.plan(events, skip, only)
        except Exception as exc:  # the batch is still evaluated, just unrouted
            self.counters["routing_faults"] += 1
            self.routing = f"on; last fault: {type(exc).__name__}: {exc}"
            return None

    def _evaluate_all(self, events: Sequence[Event]) -> list[tuple[int, int]]:
        """Unrouted: every IR predicate on every event of its category."""
        self.counters["predicates_evaluated"] += len(events) * len(self._ids)
        hits: list[tuple[int, int]] = []
        if self.module is not None:
            hits += self._resolve(events, range(len(events)), *self.module.evaluate(events))
        for pred in self.host:
            for e, event in enumerate(events):
                wanted = pred.category is None or pred.category in event.categories
                if wanted and self._host_matches(pred, event):
                    hits.append((e, pred.id))
        return hits

    def _evaluate_routed(self, events: Sequence[Event], plan: Plan) -> list[tuple[int, int]]:
        """Routed: the module runs on the planned rows only, each row on its candidates."""
        self.counters["predicates_evaluated"] += plan.evaluated
        hits: list[tuple[int, int]] = []
        if self.module is not None and plan.rows:
            rows = [events[e] for e in plan.rows]
            found = self.module.evaluate(rows, plan.subsets, plan.candidates)
            hits += self._resolve(events, plan.rows, *found)
        ids = self._ids
        for e, pid in plan.host:
            if self._host_matches(self.predicates[ids[pid]], events[e]):
                hits.append((e, ids[pid]))
        return hits

    def _resolve(
        self,
        events: Sequence[Event],
        rows: Sequence[int],
        found: list[tuple[int, int]],
        deferred: list[tuple[int, int]],
    ) -> list[tuple[int, int]]:
        """The module's (row, local id) hits as (event index, predicate id), with the deferred
        pairs decided by the interpreter."""
        ids = self._ids
        hits = [(rows[r], ids[p]) for r, p in found]
        self.counters["deferred"] += len(deferred)
        for r, p in deferred:
            if self._host_matches(self.predicates[ids[p]], events[rows[r]]):
                hits.append((rows[r], ids[p]))
        return hits

    def captures(self) -> dict[tuple[int, int], Any]:
        """What ``pred_capture`` returned for the hits of the last :meth:`evaluate`, by
        (event index, predicate id): JSON payloads decoded, other bytes as text."""
        return self._captures

    def _host_matches(self, pred: ir.Predicate, event: Event) -> bool:
        self.counters["host_evaluations"] += 1
        try:
            return matches(pred.condition, event)
        except Exception:  # the interpreter must not stop the stream either
            return False

    def _run_package(self, package: _Package, events: Sequence[Event]) -> list[tuple[int, int]]:
        module = package.module
        if module is None or module.quarantined:
            return []
        try:
            if isinstance(module, V1Package):
                todo = [
                    (e, step)
                    for e, event in enumerate(events)
                    for step, cat in package.categories.items()
                    if cat is None or cat in event.categories
                ]
                module.captures.clear()
                self.counters["predicates_evaluated"] += len(todo)
                found = [(e, package.steps[s]) for e, s in module.evaluate(events, todo)]
                for (e, step), payload in module.captures.items():
                    self._captures[(e, package.steps[step])] = _decode_capture(payload)
                return found
            self.counters["predicates_evaluated"] += len(events) * len(package.steps)
            found, _deferred = module.evaluate(events)
            return [(e, package.steps[s]) for e, s in found if s in package.steps]
        except Exception as exc:  # a host-side failure is still the package's fault
            module.fault(exc)
            return []

    def stats(self) -> dict[str, Any]:
        """Counters, faults and quarantined packages."""
        modules = [p.stats() for p in self.packages.values()]
        if self.module is not None:
            modules.insert(0, self.module.stats())
        return {
            "runtime": "wasm",
            "predicates": len(self.predicates),
            "wasm_predicates": len(self.generated.wasm_predicates),
            "host_predicates": {
                self.predicates[self._ids[i]].rule_id: reason
                for i, reason in self.generated.host_predicates.items()
            },
            **self.counters,
            "predicates_per_event": round(
                self.counters["predicates_evaluated"] / max(1, self.counters["events"]), 3
            ),
            "routing": self.routing,
            "faults": sum(m.get("faults", 0) for m in modules),
            "quarantined": [m["module"] for m in modules if m.get("quarantined")],
            "modules": modules,
            "module_cache": {
                "hits": self.engine.cache.hits,
                "misses": self.engine.cache.misses,
                "errors": self.engine.cache.errors,
            },
        }


def load_package(ref: str, engine: WasmEngine) -> _Package:
    """Instantiate a package directory; a failure is kept (quarantined) rather than raised."""
    try:
        manifest = load_manifest(Path(ref))
        wasm = manifest.module_bytes()
        name = f"{manifest.rule['id']} ({ref})"
        if manifest.abi == "v1":
            module: V1Package | BatchModule = V1Package(
                name,
                engine,
                wasm,
                manifest.fields,
                manifest.patterns,
                manifest.exports,
                len(manifest.steps),
                manifest.data.get("capabilities"),
            )
        else:
            spec = manifest.data["batch"]
            module = BatchModule(
                name,
                engine,
                wasm,
                [(tuple(path), bool(lower)) for path, lower in spec["columns"]],
                spec["categories"],
                [(str(p), bool(ci)) for p, ci in spec.get("regexes", [])],
                int(spec["predicates"]),
                manifest.exports["batch"],
            )
        return _Package(ref, module, None)
    except (KestrelError, ModuleFault, wasmtime.WasmtimeError, OSError) as exc:
        log.warning("wasm package %s is quarantined: %s", ref, exc)
        return _Package(ref, None, f"{type(exc).__name__}: {exc}")


class WasmRuntime:
    """Runs predicates as WebAssembly (wasmtime): compiled EQL rule sets and rule packages."""

    name = "wasm"

    def __init__(
        self,
        cache_dir: str | None = "default",
        fuel: int | None = None,
        timeout_ms: int | None = None,
        memory_mb: int | None = None,
        max_faults: int | None = None,
        routing: bool | str = True,
        **_ignored: Any,
    ) -> None:
        defaults = Limits()
        self.limits = Limits(
            fuel=defaults.fuel if fuel is None else int(fuel),
            timeout_ms=defaults.timeout_ms if timeout_ms is None else int(timeout_ms),
            memory_bytes=defaults.memory_bytes if memory_mb is None else int(memory_mb) << 20,
            max_faults=defaults.max_faults if max_faults is None else int(max_faults),
        )
        self.cache_dir = cache_dir
        #: route predicates per event (``routing = false`` in the config evaluates all of them)
        self.routing = str(routing).lower() not in ("false", "off", "no", "0")
        self._engine: WasmEngine | None = None

    @property
    def engine(self) -> WasmEngine:
        """The shared engine (created on first use)."""
        if self._engine is None:
            self._engine = WasmEngine(self.limits, self.cache_dir)
        return self._engine

    def compile(self, predicates: Sequence[ir.Predicate], schema: Any = None) -> WasmPredicates:
        """Compile the whole set at once."""
        return WasmPredicates(predicates, self.engine, self.routing)

    def source(self, predicates: Sequence[ir.Predicate], schema: Any = None) -> str:
        """The WAT module of the IR predicates (package steps are separate modules)."""
        ir_preds = [p for p in predicates if not isinstance(p.condition, ir.External)]
        local = [
            ir.Predicate(i, p.rule_id, p.step, p.category, p.condition)
            for i, p in enumerate(ir_preds)
        ]
        return generate(local).wat
