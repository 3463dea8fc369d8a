"""The batch ABI: how a batch of events is laid out in a module's linear memory.

``docs/wasm-rules.md`` ("Batch layout") describes the format; this module writes it. Memory of a
batch module::

    [0, 64)                reserved
    [64, DATA_BASE)        header: n_events, out_ptr, out_cap, cur_event, out_used, cats_ptr,
                           time_ptr, str_base, list_base, n_columns, then one i32 address per
                           column (written by the host; cur_event/out_used by the module)
    [DATA_BASE, ...)       static strings of the module (literals, patterns)
    [scratch, +1 MiB)      per-event scratch (concat, substring results), reset per event
    [batch_base, ...)      the batch, written by the host before each call:
        columns            per column n_events cells of 16 bytes: tag i32, pad, bits i64
        time column        EventTime cells
        categories         per event ``words`` i64 bitset words
        output             out_cap (event index, predicate id | defer << 31) i32 pairs
        list area          cells of list elements (a list cell: offset | count << 32)
        string area        UTF-8 bytes (a string cell: offset | length << 32)

String and list cells hold offsets relative to their areas; the module's ``$cell`` rebases them.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Any

from kestrel_core.events.fields import lookup
from kestrel_core.events.model import Event

HEADER = 64
DATA_BASE = 16384
MAX_COLUMNS = (DATA_BASE - HEADER) // 4 - 16
SCRATCH_SIZE = 1 << 20
CELL = 16
NULL, BOOL, INT, FLOAT, STR, LIST, OTHER, DEFER = range(8)
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
TIME_PATH: tuple[str | int, ...] = ("\0time",)

_cell = struct.Struct("<iiq")
_str = struct.Struct("<iiII")
_f64 = struct.Struct("<d")
_q = struct.Struct("<q")


def align(value: int, to: int) -> int:
    """``value`` rounded up to a multiple of ``to``."""
    return (value + to - 1) // to * to


class Header:
    """Byte addresses of the header fields (at the fixed address :data:`HEADER`)."""

    FIELDS = (
        "n_events",
        "out_ptr",
        "out_cap",
        "cur_event",
        "out_used",
        "cats_ptr",
        "time_ptr",
        "str_base",
        "list_base",
        "n_columns",
    )
    SIZE = 4 * len(FIELDS)

    def __init__(self) -> None:
        for i, name in enumerate(self.FIELDS):
            setattr(self, name, HEADER + 4 * i)

    @classmethod
    def column_slot(cls, column: int) -> int:
        """Address of the i32 holding column ``column``'s address."""
        return HEADER + cls.SIZE + 4 * column


class BatchEncoder:
    """Writes batches for one module: its columns ((path, lowercased) pairs) and categories."""

    def __init__(
        self,
        base: int,
        columns: Sequence[tuple[tuple[str | int, ...], bool]],
        categories: Sequence[str],
        n_predicates: int,
    ) -> None:
        self.base = base
        self.columns = list(columns)
        self.cat_bits = {c: 1 << i for i, c in enumerate(categories)}
        self.words = max(1, (len(categories) + 63) // 64)
        self.n_predicates = max(1, n_predicates)
        # Top-level names are read with dict.get (what lookup does for a one-segment path).
        self._top: dict[str, list[int]] = {}
        self._nested: list[tuple[int, tuple[str | int, ...]]] = []
        for index, (path, _lower) in enumerate(self.columns):
            if path == TIME_PATH:
                continue
            if len(path) == 1 and isinstance(path[0], str):
                self._top.setdefault(path[0], []).append(index)
            else:
                self._nested.append((index, path))

    def out_cap(self, n_events: int) -> int:
        """Output pairs per call: room for at least a few events' worth of hits."""
        return max(4096, 4 * self.n_predicates)

    def encode(self, events: Sequence[Event]) -> tuple[bytes, bytes, int, int]:
        """(header bytes for :data:`HEADER`, batch bytes for ``base``, output address, capacity)."""
        n = len(events)
        ncols = len(self.columns)
        cols_at = 0
        cats_at = cols_at + ncols * n * CELL
        out_at = align(cats_at + n * self.words * 8, 16)
        cap = self.out_cap(n)
        list_at = out_at + cap * 8
        buf = bytearray(list_at)
        lists = bytearray()
        strings = bytearray()
        time_col = next((i for i, (p, _) in enumerate(self.columns) if p == TIME_PATH), None)
        for e, event in enumerate(events):
            fields = event.fields
            if isinstance(fields, Mapping):
                for name, indexes in self._top.items():
                    value = fields.get(name)
                    if value is not None:
                        for i in indexes:
                            self._put(
                                buf,
                                cols_at + (i * n + e) * CELL,
                                value,
                                self.columns[i][1],
                                lists,
                                strings,
                            )
            for i, path in self._nested:
                value = lookup(fields, path)
                if value is not None:
                    self._put(
                        buf, cols_at + (i * n + e) * CELL, value, self.columns[i][1], lists, strings
                    )
            if time_col is not None and event.timestamp is not None:
                self._put(
                    buf, cols_at + (time_col * n + e) * CELL, event.timestamp, False, lists, strings
                )
            bits = 0
            for category in event.categories:
                bits |= self.cat_bits.get(category, 0)
            for w in range(self.words):
                _q.pack_into(
                    buf,
                    cats_at + (e * self.words + w) * 8,
                    _signed((bits >> (64 * w)) & (2**64 - 1)),
                )
        str_at = list_at + len(lists)
        b = self.base
        header = struct.pack(
            f"<10i{ncols}i",
            n,
            b + out_at,
            cap,
            0,
            b + out_at,
            b + cats_at,
            b + cols_at + (time_col or 0) * n * CELL,
            b + str_at,
            b + list_at,
            ncols,
            *[b + cols_at + i * n * CELL for i in range(ncols)],
        )
        return header, bytes(buf) + bytes(lists) + bytes(strings), b + out_at, cap

    def _put(
        self, buf: bytearray, at: int, value: Any, lower: bool, lists: bytearray, strings: bytearray
    ) -> None:
        if type(value) is list:
            start = len(lists)
            lists.extend(bytes(CELL * len(value)))
            for k, item in enumerate(value):
                if item is None:
                    continue
                if type(item) is list or isinstance(item, Mapping):
                    _cell.pack_into(lists, start + k * CELL, OTHER, 0, 0)
                else:
                    self._scalar(lists, start + k * CELL, item, lower, strings)
            _str.pack_into(buf, at, LIST, 0, start, len(value))
            return
        if isinstance(value, Mapping):
            _cell.pack_into(buf, at, OTHER, 0, 0)
            return
        self._scalar(buf, at, value, lower, strings)

    @staticmethod
    def _scalar(buf: bytearray, at: int, value: Any, lower: bool, strings: bytearray) -> None:
        kind = type(value)
        if kind is str:
            raw = (value.lower() if lower else value).encode("utf-8", "surrogatepass")
            _str.pack_into(buf, at, STR, 0, len(strings), len(raw))
            strings += raw
        elif kind is bool:
            _cell.pack_into(buf, at, BOOL, 0, int(value))
        elif kind is int:
            if I64_MIN <= value <= I64_MAX:
                _cell.pack_into(buf, at, INT, 0, value)
            else:
                _cell.pack_into(buf, at, DEFER, 0, 0)
        elif kind is float:
            _cell.pack_into(buf, at, FLOAT, 0, _q.unpack(_f64.pack(value))[0])
        else:
            _cell.pack_into(buf, at, OTHER, 0, 0)


def _signed(word: int) -> int:
    return word - (1 << 64) if word >= 1 << 63 else word
