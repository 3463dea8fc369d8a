"""Running modules: a batch-ABI module and a v1 (per-event) package, each in its own store.

A fault (trap, fuel exhausted, epoch deadline, memory limit, host error) is charged to the module
that raised it; after ``Limits.max_faults`` faults the module is quarantined: it is not called
again and its predicates never match. Stores and instances live as long as the compiled rule set;
nothing is rebuilt per event or per batch.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

import wasmtime

from kestrel_core.events.model import Event
from kestrel_wasm import layout
from kestrel_wasm.engine import WasmEngine
from kestrel_wasm.hostapi import HostContext, define

_pairs_cache: dict[int, struct.Struct] = {}


def _pairs(n: int) -> struct.Struct:
    s = _pairs_cache.get(n)
    if s is None:
        s = _pairs_cache[n] = struct.Struct(f"<{2 * n}i")
    return s


class ModuleFault(Exception):
    """A module trapped or ran out of a limit."""


class Guarded:
    """Fault counting and quarantine shared by both module kinds."""

    def __init__(self, name: str, engine: WasmEngine, quarantine: bool = True) -> None:
        self.name = name
        self.quarantine = quarantine
        self.engine = engine
        self.faults = 0
        self.quarantined = False
        self.last_error: str | None = None
        self.calls = 0

    def fault(self, exc: BaseException) -> None:
        """Record a fault; quarantine after ``max_faults``."""
        self.faults += 1
        self.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if self.quarantine and self.faults >= self.engine.limits.max_faults:
            self.quarantined = True

    def stats(self) -> dict[str, Any]:
        """Counters of this module."""
        return {
            "module": self.name,
            "calls": self.calls,
            "faults": self.faults,
            "quarantined": self.quarantined,
            "last_error": self.last_error,
        }


def _instantiate(
    engine: WasmEngine, wasm: bytes, ctx: HostContext, imports: Sequence[str] | None = None
) -> tuple[wasmtime.Store, wasmtime.Instance]:
    store = engine.store()
    linker = wasmtime.Linker(engine.engine)
    define(linker, ctx, imports)
    module = engine.module(wasm)
    engine.arm(store)
    instance = linker.instantiate(store, module)
    memory = instance.exports(store).get("memory")
    if not isinstance(memory, wasmtime.Memory):
        raise ModuleFault("the module exports no memory named 'memory'")
    ctx.store, ctx.memory = store, memory
    return store, instance


class BatchModule(Guarded):
    """A module with the batch ABI (a compiled rule set, or a ``batch`` package)."""

    def __init__(
        self,
        name: str,
        engine: WasmEngine,
        wasm: bytes,
        columns: Sequence[tuple[tuple[str | int, ...], bool]],
        categories: Sequence[str],
        regexes: Sequence[tuple[str, bool]],
        n_predicates: int,
        entry: str = "kestrel_eval_batch",
        quarantine: bool = True,
        fixed_memory: bool = False,
    ) -> None:
        super().__init__(name, engine, quarantine)
        #: the module never grows its memory (generated code): host calls may pin its address
        self.fixed_memory = fixed_memory
        self.ctx = HostContext((), regexes)
        self.store, instance = _instantiate(engine, wasm, self.ctx, ["re_match"])
        exports = instance.exports(self.store)
        func, base = exports.get(entry), exports.get("batch_base")
        if not isinstance(func, wasmtime.Func):
            raise ModuleFault(f"the module does not export the function {entry!r}")
        if not isinstance(base, wasmtime.Global):
            raise ModuleFault("the module does not export the global 'batch_base'")
        self.func = func
        routed = exports.get("kestrel_eval_routed")
        #: the routed entry of a generated rule set (packages built before routing lack it)
        self.routed = routed if isinstance(routed, wasmtime.Func) else None
        self.memory = self.ctx.memory
        self.base = int(base.value(self.store))
        self.encoder = layout.BatchEncoder(self.base, columns, categories, n_predicates)
        self.encode_seconds = 0.0

    def _ensure(self, size: int) -> None:
        assert self.memory is not None
        have = self.memory.data_len(self.store)
        if size > have:
            self.memory.grow(self.store, (size - have + 65535) // 65536)

    def evaluate(
        self,
        events: Sequence[Event],
        subsets: Sequence[layout.ColumnSubset] | None = None,
        candidates: Sequence[Sequence[int]] | None = None,
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(hits, deferred) over the batch; faults are recorded and the event skipped.

        With ``candidates`` (per event, the predicate ids to evaluate, ascending) only those run,
        through ``kestrel_eval_routed``; ``subsets`` (per event) limits the fields marshalled."""
        if self.quarantined or not events:
            return [], []
        assert self.memory is not None
        header, batch, out_at, _cap = self.encoder.encode(events, subsets)
        call = self._call_all
        if candidates is not None:
            if self.routed is None:
                raise ModuleFault(f"{self.name} has no kestrel_eval_routed export")
            at = layout.align(len(batch), 16)
            starts = self.base + at
            cands = starts + 4 * (len(events) + 1)
            batch = batch + bytes(at - len(batch)) + layout.routes(candidates)
            call = self._caller(self.routed, starts, cands)
        try:
            self._ensure(self.base + len(batch))
        except wasmtime.WasmtimeError as exc:
            self.fault(exc)
            return [], []
        self.memory.write(self.store, header, layout.HEADER)
        self.memory.write(self.store, batch, self.base)
        if self.fixed_memory:
            self.ctx.pin()
        try:
            return self._run(call, len(events), out_at)
        finally:
            self.ctx.unpin()

    def _run(
        self, call: Callable[[int], None], n: int, out_at: int
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Call the entry from event 0 until the batch is done, resuming after a full output
        area or a fault; (hits, deferred)."""
        assert self.memory is not None
        hits: list[tuple[int, int]] = []
        deferred: list[tuple[int, int]] = []
        h = layout.Header()
        start = 0
        while start < n and not self.quarantined:
            self.engine.arm(self.store, n - start)
            self.calls += 1
            try:
                call(start)
                faulted = False
            except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
                self.fault(exc)
                faulted = True
            cur, used = struct.unpack(
                "<ii", self.memory.read(self.store, h.cur_event, h.cur_event + 8)
            )
            count = (used - out_at) // 8
            if count:
                raw = _pairs(count).unpack(self.memory.read(self.store, out_at, used))
                for k in range(0, 2 * count, 2):
                    pid = raw[k + 1]
                    if pid < 0:
                        deferred.append((raw[k], pid & 0x7FFFFFFF))
                    else:
                        hits.append((raw[k], pid))
            start = cur + 1 if faulted else cur
        return hits, deferred

    def _call_all(self, start: int) -> None:
        self.func(self.store, start)

    def _caller(self, func: wasmtime.Func, starts: int, cands: int) -> Callable[[int], None]:
        def call(start: int) -> None:
            func(self.store, start, starts, cands)

        return call


class V1Package(Guarded):
    """A hand-written package with the v1 ABI: ``pred_init``, ``pred_eval``, ``pred_capture``."""

    def __init__(
        self,
        name: str,
        engine: WasmEngine,
        wasm: bytes,
        fields: Sequence[str],
        patterns: Sequence[str],
        exports: dict[str, Any],
        steps: int,
        imports: Sequence[str] | None = None,
    ) -> None:
        super().__init__(name, engine)
        self.ctx = HostContext(fields, [(p, False) for p in patterns])
        self.store, instance = _instantiate(engine, wasm, self.ctx, imports)
        ex = instance.exports(self.store)
        names = exports.get("steps") or [exports["eval"]] * steps
        missing = [n for n in [exports["init"], *names] if not isinstance(ex.get(n), wasmtime.Func)]
        if missing:
            raise ModuleFault(f"the module does not export {', '.join(map(repr, missing))}")
        self.evals = [ex[n] for n in names]
        capture = ex.get(exports["capture"])
        self.capture = capture if isinstance(capture, wasmtime.Func) else None
        self.memory = self.ctx.memory
        self.engine.arm(self.store)
        self.context = int(ex[exports["init"]](self.store, 0))
        self.captures: dict[tuple[int, int], bytes] = {}

    def evaluate(
        self, events: Sequence[Event], todo: Sequence[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """Hits among ``todo`` (event index, step) pairs, one ``pred_eval`` call each."""
        self.ctx.events = events
        hits = []
        for e, step in todo:
            if self.quarantined:
                break
            self.ctx.current = e
            self.engine.arm(self.store)
            self.calls += 1
            try:
                if self.evals[step](self.store, e, self.context):
                    hits.append((e, step))
                    if self.capture is not None:
                        self._capture(e, step)
            except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
                self.fault(exc)
        self.ctx.events = ()
        return hits

    def _capture(self, e: int, step: int) -> None:
        """``pred_capture`` returns a pointer to ``u32 length`` + bytes (0: nothing)."""
        assert self.capture is not None and self.memory is not None
        ptr = int(self.capture(self.store, e, self.context))
        if ptr:
            (length,) = struct.unpack("<I", self.ctx._bytes(ptr, 4))
            self.captures[(e, step)] = self.ctx._bytes(ptr + 4, length)
