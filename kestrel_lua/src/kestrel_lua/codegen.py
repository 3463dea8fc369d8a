"""IR -> Lua code generator: one method per IR node kind, as sqlglot's generators are written.

Each predicate becomes one Lua chunk returning a function that loops over the events of one batch
and appends ``(event index, predicate id)`` pairs to a hit table. Conditions are compiled both
ways, as the Python runtime does: :meth:`LuaGenerator.truth` yields a Lua expression that is true
exactly when the IR condition is true, and one that is true exactly when it is false, so
three-valued logic costs nothing on the common path (``not`` swaps the two). Values that can be
lists, boxes or null go through the helpers of ``lib.lua`` (:func:`K.rel`, :func:`K.inset`, ...).
Every literal is written by :func:`~kestrel_lua.luastr.lua_str`: rule text never becomes code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from kestrel_core import ir
from kestrel_core.errors import CompileError
from kestrel_lua.luastr import MAX_EXACT_INT, lua_number, lua_str

if TYPE_CHECKING:
    from kestrel_lua.columns import ColumnPlan

OPS = {"==": 1, "!=": 2, "<": 3, "<=": 4, ">": 5, ">=": 6}
LUA_OPS = {1: "==", 2: "~=", 3: "<", 4: "<=", 5: ">", 6: ">="}
FLIP = {1: 1, 2: 2, 3: 5, 4: 6, 5: 3, 6: 4}
#: Functions implemented in ``lib.lua``; every other ``ir.FUNCTIONS`` name runs on the host.
LUA_FUNCTIONS = frozenset(
    {
        "add",
        "subtract",
        "multiply",
        "divide",
        "modulo",
        "length",
        "startswith",
        "endswith",
        "stringcontains",
    }
)

#: Constants kept as chunk locals (upvalues of the predicate function); the rest go in a table.
LOCAL_CONSTS = 40

HEADER = """local K = ...
local rel, inset, match, lower, glob, b3 = K.rel, K.inset, K.match, K.lower, K.glob, K.b3
local arith, neg, re, hcall, isnull = K.arith, K.neg, K.re, K.hcall, K.isnull
local type, ssub, sfind = type, string.sub, string.find
"""


@attrs.frozen
class Val:
    """A compiled value: a Lua expression evaluating to a value (``nil`` for null)."""

    expr: str
    field: bool = False  # a column load: may be a list


@attrs.frozen
class Cond:
    """A compiled condition: ``t`` is true iff the IR condition is true, ``f`` iff false."""

    t: str
    f: str


Compiled = Val | Cond


def parse_wildcard(pattern: str) -> list[list[str | None]]:
    """Split a wildcard into segments at ``*``; tokens are literals or ``None`` for ``?``.

    There are no escapes: a backslash is a literal character (as ``lib.lua`` and
    :mod:`kestrel_core.runtime.patterns` read it, and as Elasticsearch EQL does).
    """
    segs: list[list[str | None]] = []
    cur: list[str | None] = []
    lit: list[str] = []
    for c in pattern:
        if c in "*?":
            if lit:
                cur.append("".join(lit))
                lit = []
            if c == "*":
                segs.append(cur)
                cur = []
            else:
                cur.append(None)
        else:
            lit.append(c)
    if lit:
        cur.append("".join(lit))
    segs.append(cur)
    return segs


class LuaGenerator:
    """Generates the Lua chunk of one predicate; a missing node kind raises naming the node."""

    def __init__(self, plan: ColumnPlan, regex: Callable[[str, bool], int]) -> None:
        self.plan = plan
        self.regex = regex
        self.consts: list[str] = []
        self.columns: set[int] = set()
        self.host_calls: set[str] = set()

    # -- entry points -------------------------------------------------------------------------

    def predicate(self, pred: ir.Predicate) -> str:
        """The Lua chunk for ``pred``: ``return function(lo, hi, idx, C, hits, nh, pid) ... end``,
        which evaluates the events ``idx[lo..hi]`` (the events of its category, or the routed
        events it is a candidate for) and returns the new hit count. The columns it reads are
        left in :attr:`columns`."""
        self.consts, self.columns = [], set()
        try:
            cond = self.truth(pred.condition).t
        except CompileError as exc:
            raise CompileError(f"rule {pred.rule_id!r} step {pred.step}: {exc}") from None
        cols = sorted(self.columns)
        loads = "".join(f"  local c{c} = C[{c}]\n" for c in cols)
        vals = "".join(f"    local v{c} = c{c}[i]\n" for c in cols)
        return (
            HEADER
            + "".join(self.consts)
            + "return function(lo, hi, idx, C, hits, nh, pid)\n"
            + loads
            + "  for j = lo, hi do\n    local i = idx[j]\n"
            + vals
            + f"    if {cond} then\n"
            + "      nh = nh + 1; hits[nh] = i; nh = nh + 1; hits[nh] = pid\n"
            + "    end\n  end\n  return nh\nend\n"
        )

    def gen(self, node: ir.Expr) -> Compiled:
        """Compile one node by the method named after its kind."""
        method = getattr(self, f"{type(node).__name__.lower()}_lua", None)
        if method is None:
            raise CompileError(f"the Lua generator has no case for IR node {type(node).__name__}")
        return method(node)

    def truth(self, node: ir.Expr) -> Cond:
        """The node as a condition (true-branch, false-branch)."""
        out = self.gen(node)
        if isinstance(out, Cond):
            return out
        return Cond(f"({out.expr} == true)", f"({out.expr} == false)")

    def value(self, node: ir.Expr, lowered: bool = False) -> Val:
        """The node as a value; ``lowered`` gives its ``str.lower`` form."""
        if lowered:
            if isinstance(node, ir.Field):
                return Val(self._column(node, lower=True), field=True)
            if isinstance(node, ir.Literal) and isinstance(node.value, str):
                return Val(lua_str(node.value.lower()))
            if isinstance(node, ir.Literal):
                return self.value(node)
            return Val(f"lower({self.value(node).expr})")
        out = self.gen(node)
        if isinstance(out, Cond):
            return Val(f"b3({out.t}, {out.f})")
        return out

    def const(self, expr: str) -> str:
        """Hoist ``expr`` into a chunk-level local and return its name; past
        :data:`LOCAL_CONSTS` of them, into a slot of one table (a Lua function may capture
        at most 60 upvalues, and a long rule has more constants than that)."""
        n = len(self.consts)
        if n < LOCAL_CONSTS:
            name = f"S{n}"
            self.consts.append(f"local {name} = {expr}\n")
        else:
            name = f"SX[{n - LOCAL_CONSTS + 1}]"
            table = "local SX = {}\n" if n == LOCAL_CONSTS else ""
            self.consts.append(f"{table}{name} = {expr}\n")
        return name

    def _column(self, node: ir.Field | ir.EventTime, lower: bool = False) -> str:
        cid = self.plan.column(node, lower=lower)
        self.columns.add(cid)
        return f"v{cid}"

    # -- values -------------------------------------------------------------------------------

    def literal_lua(self, node: ir.Literal) -> Compiled:
        v = node.value
        if v is None:
            return Val("nil")
        if isinstance(v, bool):
            return Cond("true", "false") if v else Cond("false", "true")
        if isinstance(v, str):
            return Val(lua_str(v))
        if isinstance(v, int):
            if abs(v) > MAX_EXACT_INT:
                return Val(self.const(f"K.box_i({lua_str(str(v))}, {lua_number(float(v))})"))
            return Val(lua_number(v))
        if isinstance(v, float):
            if v.is_integer():
                return Val(self.const(f"K.box_f({lua_number(v)})"))
            return Val(lua_number(v))
        raise CompileError(f"unsupported literal {v!r}")

    def field_lua(self, node: ir.Field) -> Compiled:
        return Val(self._column(node), field=True)

    def eventtime_lua(self, node: ir.EventTime) -> Compiled:
        return Val(self._column(node))

    def arith_lua(self, node: ir.Arith) -> Compiled:
        a, b = self.value(node.left).expr, self.value(node.right).expr
        return Val(f"arith({lua_str(node.op)}, {a}, {b})")

    def neg_lua(self, node: ir.Neg) -> Compiled:
        return Val(f"neg({self.value(node.operand).expr})")

    def call_lua(self, node: ir.Call) -> Compiled:
        if node.name not in ir.FUNCTIONS:
            raise CompileError(f"unknown function {node.name!r}")
        args = ", ".join(self.value(a).expr for a in node.args)
        ci = "true" if node.case_insensitive else "false"
        sep = ", " if args else ""
        if node.name in LUA_FUNCTIONS:
            return Val(f"K.fn_{node.name}({ci}{sep}{args})")
        self.host_calls.add(node.name)
        return Val(f"hcall({lua_str(node.name)}, {ci}{sep}{args})")

    # -- conditions ---------------------------------------------------------------------------

    def and_lua(self, node: ir.And) -> Compiled:
        parts = [self.truth(op) for op in node.operands]
        return Cond(
            "(" + " and ".join(p.t for p in parts) + ")",
            "(" + " or ".join(p.f for p in parts) + ")",
        )

    def or_lua(self, node: ir.Or) -> Compiled:
        parts = [self.truth(op) for op in node.operands]
        return Cond(
            "(" + " or ".join(p.t for p in parts) + ")",
            "(" + " and ".join(p.f for p in parts) + ")",
        )

    def not_lua(self, node: ir.Not) -> Compiled:
        inner = self.truth(node.operand)
        return Cond(inner.f, inner.t)

    def isnull_lua(self, node: ir.IsNull) -> Compiled:
        val = self.value(node.operand)
        v = val.expr
        if val.field:
            return Cond(
                f"({v} == nil or (type({v}) == 'table' and isnull({v})))",
                f"({v} ~= nil and (type({v}) ~= 'table' or not isnull({v})))",
            )
        return Cond(f"isnull({v})", f"(not isnull({v}))")

    def compare_lua(self, node: ir.Compare) -> Compiled:
        ci = node.case_insensitive
        left, right, op = node.left, node.right, OPS[node.op]
        if isinstance(left, ir.Literal) and not isinstance(right, ir.Literal):
            left, right, op = right, left, FLIP[op]
        a, b = self.value(left, ci), self.value(right, ci)
        lit = right.value if isinstance(right, ir.Literal) else None
        slow = f"rel({op}, {a.expr}, {b.expr})"
        v = a.expr
        if a.field and isinstance(lit, str) and op in (1, 2):
            same = f"({v} == {b.expr})"
            differ = f"(type({v}) == 'string' and {v} ~= {b.expr})"
            other = f"({v} ~= nil and type({v}) ~= 'string' and type({v}) ~= 'table')"
            tab_t = f"(type({v}) == 'table' and {slow} == true)"
            tab_f = f"(type({v}) == 'table' and {slow} == false)"
            if op == 1:
                return Cond(f"({same} or {tab_t})", f"({differ} or {tab_f} or {other})")
            return Cond(f"({differ} or {tab_t} or {other})", f"({same} or {tab_f})")
        if a.field and _plain_number(lit):
            sym = LUA_OPS[op]
            num = f"type({v}) == 'number'"
            rest = f"(type({v}) ~= 'number' and {slow} == "
            return Cond(
                f"(({num} and {v} {sym} {b.expr}) or {rest}true))",
                f"(({num} and not ({v} {sym} {b.expr})) or {rest}false))",
            )
        return Cond(f"({slow} == true)", f"({slow} == false)")

    def in_lua(self, node: ir.In) -> Compiled:
        ci = node.case_insensitive
        v = self.value(node.operand, ci).expr
        keys: list[str] = []
        others: list[str] = []
        for item in node.values:
            if isinstance(item, ir.Literal) and _set_key(item.value):
                val = item.value
                if isinstance(val, str):
                    keys.append(f"[{lua_str(val.lower() if ci else val)}] = true")
                elif isinstance(val, bool):
                    keys.append(f"[{'true' if val else 'false'}] = true")
                else:
                    keys.append(f"[{lua_number(val)}] = true")
            elif isinstance(item, ir.Literal) and item.value is None:
                continue
            else:
                others.append(self.value(item, ci).expr)
        s = self.const("{" + ", ".join(keys) + "}")
        if others:
            call = f"inset({v}, {s}, {{{', '.join(others)}}})"
            return Cond(f"({call} == true)", f"({call} == false)")
        call = f"inset({v}, {s}, nil)"
        return Cond(
            f"({s}[{v}] or (type({v}) == 'table' and {call} == true))",
            f"(({v} ~= nil and type({v}) ~= 'table' and not {s}[{v}]) or "
            f"(type({v}) == 'table' and {call} == false))",
        )

    def match_lua(self, node: ir.Match) -> Compiled:
        ci = node.case_insensitive
        parts = []
        for pat in node.patterns:
            if node.kind == "wildcard":
                parts.append(self._wildcard(pat.lower() if ci else pat))
            else:
                parts.append(f"re({self.regex(pat, ci)}, s)")
        m = self.const("function(s) return " + " or ".join(parts or ["false"]) + " end")
        v = self.value(node.operand, ci)
        call = f"match({v.expr}, {m})"
        return Cond(
            f"((type({v.expr}) == 'string' and {m}({v.expr})) or "
            f"(type({v.expr}) == 'table' and {call} == true))",
            f"((type({v.expr}) == 'string' and not {m}({v.expr})) or "
            f"({v.expr} ~= nil and type({v.expr}) ~= 'string' and {call} == false))",
        )

    def external_lua(self, node: ir.External) -> Compiled:
        raise CompileError(
            f"an External condition ({node.runtime} package {node.ref}) must be a rule's whole "
            "condition and runs in its own sandbox; it cannot be combined with IR"
        )

    def _wildcard(self, pattern: str) -> str:
        segs = parse_wildcard(pattern)
        if any(tok is None for seg in segs for tok in seg):
            g = self.const(f"K.glob_compile({lua_str(pattern)})")
            return f"glob(s, {g})"
        lits = ["".join(t for t in seg if t is not None) for seg in segs]
        if len(lits) == 1:
            return f"(s == {lua_str(lits[0])})"
        first, last, middle = lits[0], lits[-1], [m for m in lits[1:-1] if m]
        checks = []
        n_first, n_last = len(first.encode()), len(last.encode())
        if first and last:
            checks.append(f"#s >= {n_first + n_last}")
        elif last:
            checks.append(f"#s >= {n_last}")
        if first:
            checks.append(f"ssub(s, 1, {n_first}) == {lua_str(first)}")
        if last:
            checks.append(f"sfind(s, {lua_str(last)}, #s - {n_last - 1}, true) ~= nil")
        if len(middle) == 1 and not first and not last:
            checks.append(f"sfind(s, {lua_str(middle[0])}, 1, true) ~= nil")
        elif middle:
            g = self.const(f"K.glob_compile({lua_str(pattern)})")
            checks.append(f"glob(s, {g})")
        return "(" + (" and ".join(checks) or "true") + ")"


def _plain_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= MAX_EXACT_INT
    return isinstance(value, float) and not value.is_integer() and not math.isnan(value)


def _set_key(value: Any) -> bool:
    if isinstance(value, (str, bool)):
        return True
    if isinstance(value, int):
        return abs(value) <= MAX_EXACT_INT
    return isinstance(value, float) and math.isfinite(value)
