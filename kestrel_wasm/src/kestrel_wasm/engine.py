"""The shared wasmtime engine: fuel metering, epoch interruption and the epoch timer thread.

Every module of a runtime (the compiled rule set and each hand-written package) is compiled by
one :class:`WasmEngine` and runs in its own :class:`wasmtime.Store`, so limits and faults are per
module. Three limits bound a call into wasm:

* **fuel**: wasmtime counts executed instructions; a store gets a fresh budget before each call;
* **epoch deadline**: a daemon thread increments the engine's epoch every ``epoch_interval_ms``;
  a call that runs past ``timeout_ms`` traps with ``INTERRUPT`` (a wall-clock bound that also
  covers time spent in host functions);
* **memory**: ``Store.set_limits(memory_size=...)`` caps linear memory; ``memory.grow`` beyond it
  fails (returns -1) and a host-side grow raises.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

import attrs
import wasmtime

from kestrel_wasm.cache import ModuleCache, default_cache_dir


@attrs.define(frozen=True)
class Limits:
    """Per-call limits of a module. ``fuel`` and ``fuel_per_event`` add up for batch calls."""

    fuel: int = 50_000_000
    fuel_per_event: int = 2_000_000
    timeout_ms: int = 2_000
    timeout_ms_per_event: int = 20
    memory_bytes: int = 256 * 1024 * 1024
    epoch_interval_ms: int = 10
    max_faults: int = 3

    def fuel_for(self, events: int) -> int:
        """The fuel budget of one call covering ``events`` events."""
        return self.fuel + self.fuel_per_event * events

    def epoch_ticks(self, events: int = 1) -> int:
        """The epoch deadline of one call covering ``events`` events, in timer ticks."""
        budget = self.timeout_ms + self.timeout_ms_per_event * max(0, events - 1)
        return max(1, budget // max(1, self.epoch_interval_ms))


class _EpochTimer(threading.Thread):
    """Increments an engine's epoch periodically until stopped (or the engine is collected)."""

    def __init__(self, engine: wasmtime.Engine, interval_s: float) -> None:
        super().__init__(name="kestrel-wasm-epoch", daemon=True)
        self._engine = weakref.ref(engine)
        self._interval = interval_s
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.wait(self._interval):
            engine = self._engine()
            if engine is None:
                return
            engine.increment_epoch()
            del engine

    def stop(self) -> None:
        self._stop.set()


class WasmEngine:
    """A wasmtime engine configured for Kestrel, its module cache and its epoch timer."""

    def __init__(
        self, limits: Limits | None = None, cache_dir: str | Path | None = "default"
    ) -> None:
        self.limits = limits or Limits()
        config = wasmtime.Config()
        config.consume_fuel = True
        config.epoch_interruption = True
        self.engine = wasmtime.Engine(config)
        if cache_dir == "default":
            directory: Path | None = default_cache_dir()
        else:
            directory = None if cache_dir is None else Path(cache_dir)
        self.cache = ModuleCache(self.engine, directory, settings="fuel=1|epoch=1")
        self._timer = _EpochTimer(self.engine, self.limits.epoch_interval_ms / 1000)
        self._timer.start()

    def module(self, wasm: bytes) -> wasmtime.Module:
        """Compile (or load from the cache) a module."""
        return self.cache.load(wasm)

    def store(self) -> wasmtime.Store:
        """A new store with this engine's memory limit."""
        store = wasmtime.Store(self.engine)
        store.set_limits(memory_size=self.limits.memory_bytes)
        return store

    def arm(self, store: wasmtime.Store, events: int = 1) -> None:
        """Give ``store`` a fresh fuel budget and epoch deadline before a call."""
        store.set_fuel(self.limits.fuel_for(events))
        store.set_epoch_deadline(self.limits.epoch_ticks(events))

    def close(self) -> None:
        """Stop the epoch timer."""
        self._timer.stop()

    def __del__(self) -> None:
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.stop()
