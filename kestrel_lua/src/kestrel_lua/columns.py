"""Column batches: the host side of the batch ABI.

Per batch the host builds one Lua table per needed field (``C[cid][i]`` is the value of the field
for event ``i``, 1-based; a missing field is simply absent, i.e. ``nil``), lowercased copies made
with ``str.lower`` for case-insensitive uses, and one index list per event category
(``IDX[k]``: the events that belong to category ``k``; ``IDX[0]``: every event). A field is
only read for the events of the categories whose predicates use it. A routed batch
(:meth:`ColumnPlan.build_rows`) holds only the events that have candidates, and each event's
fields are read only for the columns its candidates use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from kestrel_core import ir
from kestrel_core.events.fields import getter
from kestrel_core.runtime.functions import to_string
from kestrel_lua.luastr import MAX_EXACT_INT

if TYPE_CHECKING:
    from kestrel_core.events.model import Event

Getter = Callable[[Any], Any]
#: Column sets whose field keys :meth:`ColumnPlan.build_rows` keeps before starting over.
MAX_NEEDS = 1 << 14
_SEG = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")


def parse_field(dotted: str) -> tuple[str | int, ...]:
    """``"process.args[0]"`` -> ``("process", "args", 0)`` (the inverse of ``Field.dotted``)."""
    return tuple(
        int(m.group(2)) if m.group(2) is not None else m.group(1) for m in _SEG.finditer(dotted)
    )


def _getter(node: ir.Field | ir.EventTime) -> Getter | None:
    """The compiled getter of a field (over an event's fields); ``None`` for the event time."""
    if isinstance(node, ir.EventTime):
        return None
    return getter(node.path)


@attrs.define
class Column:
    """One column of the batch: which value it holds (``get`` reads it from an event's fields;
    ``None``: the event time) and for which categories."""

    cid: int
    key: tuple[Any, ...]
    get: Getter | None
    lower: bool
    categories: set[str | None] = attrs.Factory(set)


class LuaValues:
    """Converts Python values into the Lua value model of ``lib.lua``."""

    def __init__(self, runtime: Any, lib: Any) -> None:
        self.table_from = runtime.table_from
        self.box_i = lib.box_i
        self.box_f = lib.box_f
        self.obj = lib.box_o

    def convert(self, v: Any) -> Any:
        """A Python value as a Lua value (lists as arrays without nulls, flattened)."""
        t = type(v)
        if t is str or t is bool or v is None:
            return v
        if t is int:
            if -MAX_EXACT_INT <= v <= MAX_EXACT_INT:
                return v
            try:
                approx = float(v)
            except OverflowError:
                approx = float("inf") if v > 0 else float("-inf")
            return self.box_i(str(v), approx)
        if t is float:
            return self.box_f(v) if v.is_integer() else v
        if t is list or t is tuple:
            items = {i: self.convert(x) for i, x in enumerate(v, 1) if x is not None}
            items["n"] = len(v)  # type: ignore[index]
            return self.table_from(items)
        if isinstance(v, int):  # int subclasses
            return self.convert(int(v))
        return self.obj(to_string(v) or "")


class Opaque:
    """A value Lua cannot hold (a JSON object), carried as its ``string()`` text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _lower(v: Any) -> Any:
    if type(v) is str:
        return v.lower()
    if type(v) is list:
        return [_lower(x) for x in v]
    return v


class ColumnPlan:
    """The columns and category lists a compiled rule set needs, and how to build them."""

    def __init__(self) -> None:
        self.columns: list[Column] = []
        self._by_key: dict[tuple[Any, ...], Column] = {}
        self.categories: dict[str, int] = {}
        self.current_category: str | None = None
        self._raw_keys: dict[frozenset[int], tuple[tuple[Any, ...], ...]] = {}

    def category_key(self, category: str | None) -> int:
        """The ``IDX`` key of a category (0 for ``any``)."""
        if category is None:
            return 0
        return self.categories.setdefault(category, len(self.categories) + 1)

    def column(self, node: ir.Field | ir.EventTime, lower: bool = False) -> int:
        """The column id of a field (or event time), raw or lowercased, for the current category."""
        path = ("@time",) if isinstance(node, ir.EventTime) else ("f", node.path)
        key = (*path, lower)
        col = self._by_key.get(key)
        if col is None:
            col = Column(len(self.columns) + 1, key, _getter(node), lower)
            self.columns.append(col)
            self._by_key[key] = col
        col.categories.add(self.current_category)
        return col.cid

    def build(self, events: Sequence[Event], values: LuaValues) -> tuple[Any, Any]:
        """``(C, IDX)`` Lua tables for one batch."""
        table_from = values.table_from
        idx: dict[int, list[int]] = {}
        cats = self.categories
        for i, e in enumerate(events, 1):
            for c in e.categories:
                k = cats.get(c)
                if k is not None:
                    idx.setdefault(k, []).append(i)
        everyone = range(1, len(events) + 1)
        raw_cats: dict[tuple[Any, ...], set[str | None]] = {}
        for col in self.columns:
            raw_cats.setdefault(col.key[:-1], set()).update(col.categories)
        rows = {key: self._rows(c, idx, everyone) for key, c in raw_cats.items()}
        cols = self._tables(events, self.columns, rows, values)
        idx_tables: dict[int, Any] = {k: table_from(v) for k, v in idx.items()}
        idx_tables[0] = table_from(list(everyone))
        return table_from(cols), table_from(idx_tables)

    def build_rows(
        self, events: Sequence[Event], needs: Sequence[frozenset[int]], values: LuaValues
    ) -> Any:
        """The ``C`` Lua table of a routed batch: event ``i`` (1-based) gets a value in just the
        columns ``needs[i - 1]`` (a field is read once per event for its raw and lowercased
        columns alike)."""
        wanted: set[int] = set().union(*{id(n): n for n in needs}.values())
        rows: dict[tuple[Any, ...], list[int]] = {}
        raw_keys = self._raw_keys
        for i, need in enumerate(needs, 1):
            keys = raw_keys.get(need)
            if keys is None:
                if len(raw_keys) >= MAX_NEEDS:
                    raw_keys.clear()
                keys = raw_keys[need] = tuple({self.columns[c - 1].key[:-1]: 0 for c in need})
            for key in keys:
                found = rows.get(key)
                if found is None:
                    rows[key] = [i]
                else:
                    found.append(i)
        columns = [self.columns[cid - 1] for cid in sorted(wanted)]
        return values.table_from(self._tables(events, columns, rows, values))

    def _tables(
        self,
        events: Sequence[Event],
        columns: Sequence[Column],
        rows: Mapping[tuple[Any, ...], Sequence[int]],
        values: LuaValues,
    ) -> dict[int, Any]:
        """Lua tables of ``columns``, each filled for the events ``rows[raw key]`` (1-based);
        a raw and a lowercased column of one field share one read."""
        table_from, convert = values.table_from, values.convert
        raw_cache: dict[tuple[Any, ...], dict[int, Any]] = {}
        cols: dict[int, Any] = {}
        for col in columns:
            raw_key = col.key[:-1]
            raw = raw_cache.get(raw_key)
            if raw is None:
                raw = raw_cache[raw_key] = self._read(col, rows[raw_key], events)
            if col.lower:
                data = {
                    i: v.lower() if type(v) is str else convert(_lower(v)) for i, v in raw.items()
                }
            else:
                data = {i: v if type(v) is str else convert(v) for i, v in raw.items()}
            cols[col.cid] = table_from(data)
        return cols

    def _rows(
        self, categories: set[str | None], idx: dict[int, list[int]], everyone: range
    ) -> Sequence[int]:
        """The events (1-based) of ``categories``, all of them for ``None``."""
        if None in categories:
            return everyone
        chosen: set[int] = set()
        for c in categories:
            chosen.update(idx.get(self.categories[c], ()))  # type: ignore[index]
        return sorted(chosen)

    @staticmethod
    def _read(col: Column, which: Iterable[int], events: Sequence[Event]) -> dict[int, Any]:
        """The non-null values of ``col``'s field in the events ``which`` (1-based)."""
        get = col.get
        out: dict[int, Any] = {}
        for i in which:
            e = events[i - 1]
            v = e.timestamp if get is None else get(e.fields)
            if v is not None:
                out[i] = v
        return out
