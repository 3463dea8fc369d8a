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
                           (routed batches: columns no event needs share one null column)
        time column        EventTime cells
        categories         per event ``words`` i64 bitset words
        output             out_cap (event index, predicate id | defer << 31) i32 pairs
        list area          cells of list elements (a list cell: offset | count << 32)
        string area        UTF-8 bytes (a string cell: offset | length << 32)
        routes             routed batches only: candidate offsets and ids (:func:`routes`)

String and list cells hold offsets relative to their areas; the module's ``$cell`` rebases them.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from kestrel_core.events.fields import getter
from kestrel_core.events.model import Event

HEADER = 64
DATA_BASE = 16384
MAX_COLUMNS = (DATA_BASE - HEADER) // 4 - 16
SCRATCH_SIZE = 1 << 20
CELL = 16
NULL, BOOL, INT, FLOAT, STR, LIST, OTHER, DEFER = range(8)
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
TIME_PATH: tuple[str | int, ...] = ("\0time",)
#: Column subsets an encoder keeps before its cache starts over.
MAX_SUBSETS = 1 << 14

_SCALARS = frozenset({str, int, bool, float})
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


@attrs.frozen
class ColumnSubset:
    """The columns written for an event: top-level names (read with ``dict.get``, what
    ``lookup`` does for a one-segment path) and the compiled getters of nested paths, each with
    its column indexes (raw and lowercased), and whether the event time column is written."""

    top: tuple[tuple[str, tuple[int, ...]], ...]
    nested: tuple[tuple[Callable[[Any], Any], tuple[int, ...]], ...]
    time: bool
    columns: frozenset[int]


def routes(candidates: Sequence[Sequence[int]]) -> bytes:
    """The routing arrays of ``kestrel_eval_routed``: ``n + 1`` i32 offsets (event ``e``'s
    candidates are ``cands[starts[e]:starts[e + 1]]``) followed by the i32 candidate ids."""
    starts = array("i", [0])
    cands = array("i")
    for ids in candidates:
        cands.extend(ids)
        starts.append(len(cands))
    if sys.byteorder != "little":  # pragma: no cover - wasm memory is little-endian
        starts.byteswap()
        cands.byteswap()
    return starts.tobytes() + cands.tobytes()


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
        self.time_col = next((i for i, (p, _) in enumerate(self.columns) if p == TIME_PATH), None)
        self._subsets: dict[frozenset[int], ColumnSubset] = {}
        self.full = self.subset(range(len(self.columns)))

    def subset(self, indexes: Iterable[int]) -> ColumnSubset:
        """How to write only the columns ``indexes`` of an event (the others stay null);
        cached per set of columns."""
        key = frozenset(indexes)
        found = self._subsets.get(key)
        if found is None:
            if len(self._subsets) >= MAX_SUBSETS:
                self._subsets.clear()
            found = self._subsets[key] = self._subset(key)
        return found

    def _subset(self, columns: frozenset[int]) -> ColumnSubset:
        top: dict[str, list[int]] = {}
        nested: dict[tuple[str | int, ...], list[int]] = {}
        time = False
        for index in sorted(columns):
            path = self.columns[index][0]
            if path == TIME_PATH:
                time = True
            elif len(path) == 1 and isinstance(path[0], str):
                top.setdefault(path[0], []).append(index)
            else:
                nested.setdefault(path, []).append(index)
        return ColumnSubset(
            tuple((k, tuple(v)) for k, v in top.items()),
            tuple((getter(path), tuple(v)) for path, v in nested.items()),
            time,
            columns,
        )

    def out_cap(self, n_events: int) -> int:
        """Output pairs per call: room for at least a few events' worth of hits."""
        return max(4096, 4 * self.n_predicates)

    def slots(self, n: int, subsets: Sequence[ColumnSubset] | None) -> list[int]:
        """Byte offset of each column's cells in the batch. Only the columns some event of the
        batch writes get cells of their own; all others share one column of null cells."""
        if subsets is None:
            return [i * n * CELL for i in range(len(self.columns))]
        used: set[int] = set()
        for sub in {id(sub): sub for sub in subsets}.values():
            used |= sub.columns
        null = len(used) * n * CELL
        out = [null] * len(self.columns)
        for k, i in enumerate(sorted(used)):
            out[i] = k * n * CELL
        return out

    def encode(
        self, events: Sequence[Event], subsets: Sequence[ColumnSubset] | None = None
    ) -> tuple[bytes, bytes, int, int]:
        """(header bytes for :data:`HEADER`, batch bytes for ``base``, output address, capacity).

        ``subsets``: per event, the columns to write (default: all of them)."""
        n = len(events)
        ncols = len(self.columns)
        slots = self.slots(n, subsets)
        cats_at = (max(slots, default=0) + n * CELL) if ncols else 0
        out_at = align(cats_at + n * self.words * 8, 16)
        cap = self.out_cap(n)
        list_at = out_at + cap * 8
        buf = bytearray(list_at)
        lists = bytearray()
        strings = bytearray()
        time_col, full, put = self.time_col, self.full, self._put
        lower = [lowered for _path, lowered in self.columns]
        for e, event in enumerate(events):
            sub = full if subsets is None else subsets[e]
            fields = event.fields
            at = e * CELL
            if type(fields) is dict or isinstance(fields, Mapping):
                for name, indexes in sub.top:
                    value = fields.get(name)
                    if value is not None:
                        for i in indexes:
                            put(buf, slots[i] + at, value, lower[i], lists, strings)
            for get, indexes in sub.nested:
                value = get(fields)
                if value is not None:
                    for i in indexes:
                        put(buf, slots[i] + at, value, lower[i], lists, strings)
            if sub.time and event.timestamp is not None:
                put(buf, slots[time_col] + at, event.timestamp, False, lists, strings)  # type: ignore[index]
            self._categories(buf, cats_at + e * self.words * 8, event)
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
            b + (slots[time_col] if time_col is not None else 0),
            b + str_at,
            b + list_at,
            ncols,
            *[b + slot for slot in slots],
        )
        return header, bytes(buf) + bytes(lists) + bytes(strings), b + out_at, cap

    def _categories(self, buf: bytearray, at: int, event: Event) -> None:
        bits = 0
        for category in event.categories:
            bits |= self.cat_bits.get(category, 0)
        for w in range(self.words):
            _q.pack_into(buf, at + w * 8, _signed((bits >> (64 * w)) & (2**64 - 1)))

    def _put(
        self, buf: bytearray, at: int, value: Any, lower: bool, lists: bytearray, strings: bytearray
    ) -> None:
        kind = type(value)
        if kind in _SCALARS:  # the common case first (the Mapping check below is slow)
            self._scalar(buf, at, value, lower, strings)
            return
        if kind is list:
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
