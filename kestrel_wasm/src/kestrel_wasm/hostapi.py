"""Host API v1: the functions a module imports from the ``kestrel`` namespace.

=====================================================  ==========================================
``event_get_i64(field_id, ev) -> i64``                 an int field (bool as 0/1); missing or not
                                                       an int: ``MISSING_I64`` (-2**63)
``event_get_u64(field_id, ev) -> i64``                 same, unsigned; missing: 2**64-1
``event_get_str(field_id, buf_ptr, buf_len, ev)``      a string field's UTF-8 bytes written into
``-> i32``                                             ``[buf_ptr, buf_ptr+buf_len)``; returns the
                                                       byte length, -1 missing/not a string,
                                                       -2 too long (nothing written)
``re_match(pattern_id, ptr, len) -> i32``              1 when pattern ``pattern_id`` (RE2,
                                                       compiled at load) matches the whole string
                                                       at ``[ptr, ptr+len)``; 0 no; -1 bad id
``glob_match(pat_ptr, pat_len, ptr, len) -> i32``      EQL wildcard (``*``, ``?``, ``\\`` escapes)
                                                       over the whole string: 1 or 0
``alert_emit(ptr, len)``                               attach ``[ptr, ptr+len)`` (JSON by
                                                       convention) to the current event's hit
=====================================================  ==========================================

``field_id`` indexes the manifest's ``fields``; ``ev`` is the event handle the host passed to
``pred_eval``. **Ownership**: the host never allocates in, or writes outside, a buffer the module
passed: ``event_get_str`` writes only inside the caller-provided buffer, after checking that the
whole buffer lies inside linear memory; every pointer argument is bounds-checked, and an
out-of-bounds pointer traps (counted as a fault of the package).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from typing import Any

import wasmtime

from kestrel_core.events.fields import lookup
from kestrel_core.events.model import Event
from kestrel_core.runtime.patterns import compile_regex, wildcard_to_re2
from kestrel_wasm.manifest import parse_field

MISSING_I64 = -(2**63)
#: Memoized ``re_match`` results kept per module before the memo starts over.
MAX_MATCHES = 1 << 16
MISSING_U64 = 2**64 - 1
#: name -> (parameter types, result types); "i" is i32, "I" is i64.
SIGNATURES: dict[str, tuple[str, str]] = {
    "event_get_i64": ("ii", "I"),
    "event_get_u64": ("ii", "I"),
    "event_get_str": ("iiii", "i"),
    "re_match": ("iii", "i"),
    "glob_match": ("iiii", "i"),
    "alert_emit": ("ii", ""),
}


def _functype(params: str, results: str) -> wasmtime.FuncType:
    """A fresh FuncType (wasmtime-py types are not shared between definitions)."""

    def kind(c: str) -> wasmtime.ValType:
        return wasmtime.ValType.i32() if c == "i" else wasmtime.ValType.i64()

    return wasmtime.FuncType([kind(c) for c in params], [kind(c) for c in results])


class HostContext:
    """What the host functions of one module instance see: its memory, the current batch,
    its fields and regular expressions, and the payloads it emitted."""

    def __init__(self, fields: Sequence[str], regexes: Sequence[tuple[str, bool]]) -> None:
        self.paths = [parse_field(f) for f in fields]
        self.matchers: list[Callable[[str], bool]] = [compile_regex(p, ci) for p, ci in regexes]
        self.store: wasmtime.Store | None = None
        self.memory: wasmtime.Memory | None = None
        self.events: Sequence[Event] = ()
        self.emitted: list[tuple[int, bytes]] = []
        self.current = -1
        #: (base address, length) of the memory while it cannot move (see :meth:`pin`)
        self.pinned: tuple[int, int] | None = None
        self._matches: dict[tuple[int, bytes], int] = {}

    def pin(self) -> None:
        """Note where the memory lives for the coming call: only for a module that never grows
        its memory (the generated ones), so that the address and length stay valid."""
        assert self.memory is not None and self.store is not None
        base = ctypes.addressof(self.memory.data_ptr(self.store).contents)
        self.pinned = (base, self.memory.data_len(self.store))

    def unpin(self) -> None:
        """Back to asking wasmtime for the memory's address and length on every access."""
        self.pinned = None

    def _bytes(self, ptr: int, length: int) -> bytes:
        """A copy of ``length`` bytes at ``ptr``, bounds-checked (read straight from the memory's
        base address: ``Memory.read`` builds a new ctypes array type per length, which costs
        more than the regex match it feeds)."""
        if self.pinned is None:
            self.pin()
            base, size = self.pinned  # type: ignore[misc]
            self.pinned = None
        else:
            base, size = self.pinned
        if ptr < 0 or length < 0 or ptr + length > size:
            raise wasmtime.Trap(f"pointer [{ptr}, {ptr + length}) out of linear memory")
        return ctypes.string_at(base + ptr, length)

    def _field(self, field_id: int, handle: int) -> Any:
        if not (0 <= field_id < len(self.paths) and 0 <= handle < len(self.events)):
            return None
        return lookup(self.events[handle].fields, self.paths[field_id])

    def event_get_i64(self, field_id: int, handle: int) -> int:
        """The field as a signed 64-bit int, or ``MISSING_I64``."""
        value = self._field(field_id, handle)
        if type(value) is bool:
            return int(value)
        if type(value) is int and -(2**63) <= value < 2**63:
            return value
        return MISSING_I64

    def event_get_u64(self, field_id: int, handle: int) -> int:
        """The field as an unsigned 64-bit int (returned as i64 bits), or 2**64-1."""
        value = self._field(field_id, handle)
        if type(value) is bool:
            value = int(value)
        if type(value) is int and 0 <= value < MISSING_U64:
            return value - 2**64 if value >= 2**63 else value
        return -1

    def event_get_str(self, field_id: int, ptr: int, cap: int, handle: int) -> int:
        """Write the field's UTF-8 bytes into the caller's buffer; length, -1 or -2."""
        value = self._field(field_id, handle)
        if type(value) is not str:
            return -1
        raw = value.encode("utf-8", "surrogatepass")
        self._bytes(ptr, cap)  # the whole buffer must be inside memory
        if len(raw) > cap:
            return -2
        assert self.memory is not None
        self.memory.write(self.store, raw, ptr)  # type: ignore[arg-type]
        return len(raw)

    def re_match(self, pattern_id: int, ptr: int, length: int) -> int:
        """Whole-string match of a pattern compiled at load time (results are memoized: the
        same texts come back event after event)."""
        if not 0 <= pattern_id < len(self.matchers):
            return -1
        key = (pattern_id, self._bytes(ptr, length))
        found = self._matches.get(key)
        if found is None:
            if len(self._matches) >= MAX_MATCHES:
                self._matches.clear()
            text = key[1].decode("utf-8", "surrogatepass")
            found = self._matches[key] = int(self.matchers[pattern_id](text))
        return found

    def glob_match(self, pat_ptr: int, pat_len: int, ptr: int, length: int) -> int:
        """EQL wildcard match of the whole string."""
        pattern = self._bytes(pat_ptr, pat_len).decode("utf-8", "replace")
        text = self._bytes(ptr, length).decode("utf-8", "replace")
        return int(compile_regex(wildcard_to_re2(pattern))(text))

    def alert_emit(self, ptr: int, length: int) -> None:
        """Attach a payload to the current event."""
        self.emitted.append((self.current, self._bytes(ptr, length)))


def define(linker: wasmtime.Linker, ctx: HostContext, names: Sequence[str] | None = None) -> None:
    """Define the Host API v1 functions (all, or ``names``) in ``linker`` for ``ctx``."""
    for name in names or SIGNATURES:
        linker.define_func("kestrel", name, _functype(*SIGNATURES[name]), getattr(ctx, name))
