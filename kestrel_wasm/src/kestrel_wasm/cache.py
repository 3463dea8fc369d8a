"""On-disk cache of compiled wasm modules.

wasmtime compiles a module to native code once; :meth:`wasmtime.Module.serialize` keeps that code
and :meth:`wasmtime.Module.deserialize` maps it back in milliseconds. Entries are keyed by the
SHA-256 of the wasm bytes, the wasmtime version and the engine settings that change generated
code (fuel metering, epoch interruption), so a wasmtime upgrade or a different configuration never
reads a stale artifact.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import wasmtime


def wasmtime_version() -> str:
    """The installed wasmtime-py version (part of every cache key)."""
    try:
        return version("wasmtime")
    except PackageNotFoundError:  # pragma: no cover - wasmtime is a dependency
        return "unknown"


def default_cache_dir() -> Path:
    """``$KESTREL_WASM_CACHE``, else ``$XDG_CACHE_HOME/kestrel/wasm``, else ``~/.cache/...``."""
    env = os.environ.get("KESTREL_WASM_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kestrel" / "wasm"


class ModuleCache:
    """Compile-or-load wasm modules for one engine, reading and writing ``cache_dir``.

    ``cache_dir=None`` disables the disk cache (modules are still kept in memory by hash).
    Counters ``hits``, ``misses`` and ``errors`` (an unreadable or stale entry is recompiled).
    """

    def __init__(self, engine: wasmtime.Engine, cache_dir: Path | None, settings: str) -> None:
        self.engine = engine
        self.cache_dir = cache_dir
        self.settings = settings
        self.hits = 0
        self.misses = 0
        self.errors = 0
        self._memory: dict[str, wasmtime.Module] = {}

    def key(self, wasm: bytes) -> str:
        """The cache key of a module: hash of its bytes, wasmtime version and settings."""
        h = hashlib.sha256(wasm)
        h.update(f"|wasmtime={wasmtime_version()}|{self.settings}".encode())
        return h.hexdigest()

    def load(self, wasm: bytes) -> wasmtime.Module:
        """The compiled module for ``wasm`` bytes (validated; raises ``WasmtimeError``)."""
        key = self.key(wasm)
        cached = self._memory.get(key)
        if cached is not None:
            return cached
        module = self._read(key)
        if module is None:
            self.misses += 1
            module = wasmtime.Module(self.engine, wasm)
            self._write(key, module)
        else:
            self.hits += 1
        self._memory[key] = module
        return module

    def _path(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / f"{key}.cwasm"

    def _read(self, key: str) -> wasmtime.Module | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            return wasmtime.Module.deserialize(self.engine, path.read_bytes())
        except (OSError, wasmtime.WasmtimeError):
            self.errors += 1
            return None

    def _write(self, key: str, module: wasmtime.Module) -> None:
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(module.serialize())
            os.replace(tmp, path)  # atomic: concurrent workers never read half a file
        except OSError:
            self.errors += 1
