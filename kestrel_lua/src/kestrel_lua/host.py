"""Host callbacks of the Lua runtime: what generated code hands back to Python.

Lua numbers are doubles, so exact work on big integers (beyond 2**53), ``str.lower`` of non-ASCII
text, RE2 regular expressions and the EQL functions whose results depend on Java number
formatting or code-point indexing (``between``, ``cidrmatch``, ``concat``, ``indexof``,
``number``, ``string``, ``substring``) run here, through the very functions the Python runtime
uses (:mod:`kestrel_core.runtime.functions`, :mod:`kestrel_core.runtime.patterns`). Every callback
counts itself in :attr:`HostCallbacks.calls`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from kestrel_core.runtime import functions
from kestrel_core.runtime.patterns import compile_regex
from kestrel_lua.columns import LuaValues, Opaque

_OPS: dict[int, Callable[[Any, Any], bool]] = {
    1: lambda a, b: a == b,
    2: lambda a, b: a != b,
    3: lambda a, b: a < b,
    4: lambda a, b: a <= b,
    5: lambda a, b: a > b,
    6: lambda a, b: a >= b,
}


def from_lua(v: Any) -> Any:
    """A Lua value of the ``lib.lua`` model as a Python value (boxes unboxed, lists as lists)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() else v
    if isinstance(v, int):
        return v
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    kind = v["k"]
    if kind == "f":
        return float(v["d"])
    if kind == "i":
        return int(v["s"])
    if kind == "o":
        return Opaque(v["s"])
    return [from_lua(v[i]) for i in range(1, int(v["n"]) + 1)]


class Regexes:
    """RE2 patterns compiled at load time, referenced by id (1-based) from Lua."""

    def __init__(self) -> None:
        self.patterns: list[Callable[[str], bool]] = []
        self._ids: dict[tuple[str, bool], int] = {}

    def compile(self, pattern: str, case_insensitive: bool = False) -> int:
        """The id of ``pattern`` (whole-string match, ``.`` matches newlines); raises
        :class:`~kestrel_core.errors.CompileError` when RE2 cannot express it."""
        key = (pattern, case_insensitive)
        if key not in self._ids:
            self.patterns.append(compile_regex(pattern, case_insensitive))
            self._ids[key] = len(self.patterns)
        return self._ids[key]

    def match(self, rid: int, text: Any) -> bool:
        """Whether pattern ``rid`` matches the whole of ``text``."""
        if not isinstance(text, str):
            return False
        return self.patterns[int(rid) - 1](text)


class HostCallbacks:
    """The ``H`` table handed to ``lib.lua``: Python functions the Lua side calls."""

    def __init__(self, regexes: Regexes) -> None:
        self.regexes = regexes
        self.calls: Counter[str] = Counter()
        self.values: LuaValues | None = None

    def as_table(self, runtime: Any) -> Any:
        """The Lua table of callbacks."""
        return runtime.table_from(
            {
                "numrel": self.numrel,
                "arith": self.arith,
                "lower": self.lower,
                "re": self.re,
                "hcall": self.hcall,
            }
        )

    def _out(self, v: Any) -> Any:
        assert self.values is not None
        return self.values.convert(v)

    def numrel(self, op: int, a: Any, b: Any) -> Any:
        """Exact comparison of numbers when one of them is a big integer."""
        self.calls["numrel"] += 1
        return _OPS[int(op)](from_lua(a), from_lua(b))

    def arith(self, op: str, a: Any, b: Any) -> Any:
        """Exact arithmetic on big integers."""
        self.calls["arith"] += 1
        return self._out(functions.arith(op, from_lua(a), from_lua(b)))

    def lower(self, s: Any) -> Any:
        """``str.lower`` of non-ASCII text."""
        self.calls["lower"] += 1
        return s.lower() if isinstance(s, str) else s

    def re(self, rid: int, s: Any) -> bool:
        """A regular-expression match by pattern id."""
        self.calls["re_match"] += 1
        return self.regexes.match(rid, s)

    def hcall(self, name: str, ci: bool, *args: Any) -> Any:
        """An EQL function evaluated on the host."""
        self.calls[f"fn:{name}"] += 1
        return self._out(functions.call(name, bool(ci), [from_lua(a) for a in args]))
