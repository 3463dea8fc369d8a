"""Column batches: the host side of the batch ABI.

Per batch the host builds one Lua table per needed field (``C[cid][i]`` is the value of the field
for event ``i``, 1-based; a missing field is simply absent, i.e. ``nil``), lowercased copies made
with ``str.lower`` for case-insensitive uses, and one index list per event category
(``IDX[k]``: the events that belong to category ``k``). A field is only read for the events of
the categories whose predicates use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from kestrel_core import ir
from kestrel_core.events.fields import lookup
from kestrel_core.runtime.functions import to_string
from kestrel_lua.luastr import MAX_EXACT_INT

if TYPE_CHECKING:
    from kestrel_core.events.model import Event

Getter = Callable[["Event"], Any]
_SEG = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")


def parse_field(dotted: str) -> tuple[str | int, ...]:
    """``"process.args[0]"`` -> ``("process", "args", 0)`` (the inverse of ``Field.dotted``)."""
    return tuple(
        int(m.group(2)) if m.group(2) is not None else m.group(1) for m in _SEG.finditer(dotted)
    )


def _getter(node: ir.Field | ir.EventTime) -> Getter:
    if isinstance(node, ir.EventTime):
        return lambda e: e.timestamp
    path = node.path
    if len(path) == 1 and isinstance(path[0], str):
        key = path[0]

        def get_top(e: Event) -> Any:
            fields = e.fields
            return fields.get(key) if type(fields) is dict else lookup(fields, path)

        return get_top
    return lambda e: lookup(e.fields, path)


@attrs.define
class Column:
    """One column of the batch: which value it holds and for which categories."""

    cid: int
    key: tuple[Any, ...]
    get: Getter
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
        raw_cache: dict[tuple[Any, ...], dict[int, Any]] = {}
        raw_cats: dict[tuple[Any, ...], set[str | None]] = {}
        for col in self.columns:
            raw_cats.setdefault(col.key[:-1], set()).update(col.categories)
        cols: dict[int, Any] = {}
        convert = values.convert
        for col in self.columns:
            raw_key = col.key[:-1]
            raw = raw_cache.get(raw_key)
            if raw is None:
                raw = self._read(col, raw_cats[raw_key], events, idx, everyone)
                raw_cache[raw_key] = raw
            if col.lower:
                data = {i: convert(_lower(v)) for i, v in raw.items()}
            else:
                data = {i: convert(v) for i, v in raw.items()}
            cols[col.cid] = table_from(data)
        idx_tables: dict[int, Any] = {k: table_from(v) for k, v in idx.items()}
        idx_tables[0] = True
        return table_from(cols), table_from(idx_tables)

    def _read(
        self,
        col: Column,
        categories: set[str | None],
        events: Sequence[Event],
        idx: dict[int, list[int]],
        everyone: range,
    ) -> dict[int, Any]:
        get = col.get
        if None in categories:
            which: Sequence[int] | set[int] = everyone
        else:
            chosen: set[int] = set()
            for c in categories:
                chosen.update(idx.get(self.categories[c], ()))  # type: ignore[index]
            which = sorted(chosen)
        out: dict[int, Any] = {}
        for i in which:
            v = get(events[i - 1])
            if v is not None:
                out[i] = v
        return out
