"""IR -> WAT: one generator class, one method per IR node kind (sqlglot style).

Each predicate becomes a function ``$pN (param $e i32) (result i32)`` returning a truth value
(0 false, 1 true, 2 null, 3 defer: only the host can decide). A node is generated either as a
*condition* (``<kind>_cond``: leaves one i32 truth value) or as a *value* (``<kind>_value``:
leaves ``tag i32, bits i64``, see ``prelude.wat``); the other form is derived. A node kind with
neither method fails with :class:`NotImplementedError` naming it. A construct only Python can
evaluate exactly raises :class:`Defer`; that predicate then runs on the host (reference
interpreter) and is counted in ``stats()["host_predicates"]``.

Function calls live in :class:`kestrel_wasm.functions_wat.FunctionsMixin`; the batch layout
(columns, header offsets) in :mod:`kestrel_wasm.layout`.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from importlib import resources

import attrs

from kestrel_core import ir
from kestrel_core.errors import CompileError
from kestrel_core.runtime.functions import HOST_FUNCTIONS
from kestrel_core.runtime.patterns import ONE, STAR, check_regex, parse_wildcard
from kestrel_wasm import layout
from kestrel_wasm.functions_wat import FunctionsMixin

NULL, BOOL, INT, FLOAT, STR, LIST, OTHER, DEFER = range(8)
OPS = {"==": 0, "!=": 1, "<": 2, "<=": 3, ">": 4, ">=": 5}
ARITH_OPS = {"+": 0, "-": 1, "*": 2, "/": 3, "%": 4}
I64_MIN, I64_MAX = -(2**63), 2**63 - 1


class Defer(Exception):
    """A construct the generator leaves to the host: the predicate is evaluated in Python."""


def utf8(text: str) -> bytes:
    """UTF-8 bytes of ``text`` (lone surrogates kept, so byte order stays code point order)."""
    return text.encode("utf-8", "surrogatepass")


def glob_bytes(parts: list[str]) -> bytes:
    """A parsed wildcard as the bytes ``$glob`` reads: 0xFF for ``*``, 0xFE for ``?``."""
    out = bytearray()
    for part in parts:
        out += b"\xff" if part == STAR else b"\xfe" if part == ONE else utf8(part)
    return bytes(out)


@attrs.define
class Data:
    """Static strings of the module, interned, laid out from ``layout.DATA_BASE``."""

    blob: bytearray = attrs.Factory(bytearray)
    index: dict[bytes, int] = attrs.Factory(dict)

    def intern(self, raw: bytes) -> int:
        """The i64 string value (ptr | len << 32) of ``raw``."""
        if raw not in self.index:
            self.index[raw] = layout.DATA_BASE + len(self.blob)
            self.blob += raw
        return self.index[raw] | (len(raw) << 32)

    def segment(self) -> str:
        """The ``(data ...)`` form."""
        text = "".join(f"\\{b:02x}" for b in self.blob)
        return f'(data (i32.const {layout.DATA_BASE}) "{text}")'


@attrs.define
class Func:
    """Locals of the function being generated."""

    locals: list[str] = attrs.Factory(list)

    def local(self, kind: str) -> str:
        """A fresh local of wasm type ``kind``."""
        name = f"$l{len(self.locals)}"
        self.locals.append(f"(local {name} {kind})")
        return name


@attrs.define
class Generated:
    """The generated module and what the host needs to drive it."""

    wat: str
    columns: list[tuple[tuple[str | int, ...], bool]]
    categories: list[str]
    regexes: list[tuple[str, bool]]
    host_predicates: dict[int, str]
    wasm_predicates: list[int]
    #: per wasm predicate, the column indexes its code reads
    predicate_columns: dict[int, tuple[int, ...]] = attrs.Factory(dict)


class WatGenerator(FunctionsMixin):
    """Generates one WAT module evaluating a whole predicate set over a column batch."""

    def _call(self, expr: ir.Call) -> tuple[str, bool]:
        """Functions that walk nested values (``arraysearch``) run on the host."""
        if expr.name in HOST_FUNCTIONS:
            raise Defer(f"{expr.name}() runs on the host")
        return super()._call(expr)

    def __init__(self) -> None:
        self.data = Data()
        self.columns: dict[tuple[tuple[str | int, ...], bool], int] = {}
        self.categories: dict[str, int] = {}
        self.regexes: dict[tuple[str, bool], int] = {}
        self.elems: list[str] = []
        self.funcs: list[str] = []
        self.fn = Func()
        self._labels = 0
        self._used: set[int] = set()

    # ---- module ----------------------------------------------------------------------------

    def generate(self, predicates: Sequence[ir.Predicate]) -> Generated:
        """The module for ``predicates`` (ids must be dense 0..n-1 in order)."""
        host: dict[int, str] = {}
        wasm: list[int] = []
        used: dict[int, tuple[int, ...]] = {}
        for pred in predicates:
            if isinstance(pred.condition, ir.External):
                raise CompileError(
                    f"rule {pred.rule_id!r}: a prebuilt package step is loaded as a package, "
                    "not compiled"
                )
            saved = (len(self.elems), len(self.funcs), dict(self.columns))
            self.fn = Func()
            self._used = set()
            try:
                body = self.cond(pred.condition)
            except Defer as exc:
                del self.elems[saved[0] :], self.funcs[saved[1] :]
                self.columns = saved[2]
                host[pred.id] = str(exc)
                continue
            except CompileError as exc:
                raise CompileError(f"rule {pred.rule_id!r}: {exc}") from exc
            if len(self.columns) > layout.MAX_COLUMNS:
                exc = CompileError(f"more than {layout.MAX_COLUMNS} field columns")
                raise CompileError(f"rule {pred.rule_id!r}: {exc}") from exc
            locals_ = " ".join(self.fn.locals)
            self.funcs.append(f"(func $p{pred.id} (param $e i32) (result i32) {locals_}\n{body})")
            wasm.append(pred.id)
            used[pred.id] = tuple(sorted(self._used))
        for pred in predicates:
            if pred.category is not None and pred.id in wasm:
                self.categories.setdefault(pred.category, len(self.categories))
        cat_words = max(1, (len(self.categories) + 63) // 64)
        true_bits, false_bits = self.data.intern(b"true"), self.data.intern(b"false")
        scratch = layout.align(layout.DATA_BASE + len(self.data.blob), 16)
        batch = layout.align(scratch + layout.SCRATCH_SIZE, 65536)
        parts = [
            "(module",
            '  (import "kestrel" "re_match" (func $re_match (param i32 i32 i32) (result i32)))',
            f'  (memory (export "memory") {batch // 65536 + 1})',
            f'  (global (export "batch_base") i32 (i32.const {batch}))',
            f"  (global $scratch_base i32 (i32.const {scratch}))",
            f"  (global $scratch_end i32 (i32.const {scratch + layout.SCRATCH_SIZE}))",
            f"  (global $lit_true i64 (i64.const {true_bits}))",
            f"  (global $lit_false i64 (i64.const {false_bits}))",
            resources.files("kestrel_wasm").joinpath("prelude.wat").read_text("utf-8"),
            f"  (table $fns {len(self.elems) + len(predicates)} funcref)",
            "  (type $predfn (func (param i32) (result i32)))",
            "  (func $never (param $e i32) (result i32) (i32.const 0))",
        ]
        if self.elems:
            names = " ".join(f"$f{i}" for i in range(len(self.elems)))
            parts.append(f"  (elem (i32.const 0) func {names})")
        if predicates:
            compiled = set(wasm)
            names = " ".join(f"$p{p.id}" if p.id in compiled else "$never" for p in predicates)
            parts.append(f"  (elem (i32.const {len(self.elems)}) func {names})")
        parts += self.elems + self.funcs
        parts.append(self.main(predicates, wasm, batch, cat_words))
        parts.append(self.routed(max(1, len(wasm))))
        parts += [self.data.segment(), ")"]
        return Generated(
            wat="\n".join(parts),
            columns=sorted(self.columns, key=self.columns.__getitem__),
            categories=sorted(self.categories, key=self.categories.__getitem__),
            regexes=sorted(self.regexes, key=self.regexes.__getitem__),
            host_predicates=host,
            wasm_predicates=wasm,
            predicate_columns=used,
        )

    def main(
        self, predicates: Sequence[ir.Predicate], wasm: list[int], batch: int, words: int
    ) -> str:
        """``kestrel_eval_batch(start) -> hits``: every event from ``start``, every predicate."""
        h = layout.Header()
        calls = []
        for pid in wasm:
            pred = predicates[pid]
            call = f"(local.set $t (call $p{pid} (local.get $e)))\n" + self._hit(
                f"(i32.const {pid})"
            )
            if pred.category is not None:
                cid = self.categories[pred.category]
                word, bit = divmod(cid, 64)
                mask = 1 << bit if bit < 63 else -(1 << 63)
                call = (
                    f"(if (i64.ne (i64.and (i64.load offset={word * 8} (local.get $c))"
                    f" (i64.const {mask})) (i64.const 0)) (then\n{call}))"
                )
            calls.append(call)
        body = "\n".join(calls)
        per_event = max(1, len(wasm))
        return self._event_loop(
            '"kestrel_eval_batch") (param $start i32',
            f"(i32.const {per_event * 8})",
            f"""(local.set $c (i32.add (i32.load (i32.const {h.cats_ptr}))
      (i32.mul (local.get $e) (i32.const {words * 8}))))
{body}""",
        )

    def routed(self, most: int) -> str:
        """``kestrel_eval_routed(start, starts, cands) -> hits``: per event from ``start`` only
        its candidate predicates (``layout.routes``), each through the function table (slot
        ``len(elems) + id``). An event needs room for ``most`` hits or for its candidates,
        whichever is fewer."""
        fuse = (
            f"(i32.shl (select (local.get $m) (i32.const {most}) (i32.lt_u (local.get $m)"
            f" (i32.const {most}))) (i32.const 3))"
        )
        body = f"""(local.set $k (i32.load (i32.add (local.get $starts)
      (i32.shl (local.get $e) (i32.const 2)))))
    (block $cdone (loop $cnext
      (br_if $cdone (i32.ge_u (local.get $k) (local.get $kend)))
      (local.set $p (i32.load (i32.add (local.get $cands) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $t (call_indirect $fns (type $predfn) (local.get $e)
        (i32.add (local.get $p) (i32.const {len(self.elems)}))))
      {self._hit("(local.get $p)")}
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $cnext)))"""
        count = """(local.set $kend (i32.load (i32.add (local.get $starts)
      (i32.shl (i32.add (local.get $e) (i32.const 1)) (i32.const 2)))))
    (local.set $m (i32.sub (local.get $kend) (i32.load (i32.add (local.get $starts)
      (i32.shl (local.get $e) (i32.const 2))))))"""
        return self._event_loop(
            '"kestrel_eval_routed") (param $start i32) (param $starts i32) (param $cands i32',
            fuse,
            body,
            "(local $k i32) (local $kend i32) (local $m i32) (local $p i32)",
            count,
        )

    @staticmethod
    def _hit(pid: str) -> str:
        """Append ``(e, pid | defer << 31)`` to the output when the truth value ``$t`` is true
        (1) or defer (3)."""
        return (
            f"(if (i32.and (local.get $t) (i32.const 1)) (then\n"
            f"  (i32.store (local.get $o) (local.get $e))\n"
            f"  (i32.store offset=4 (local.get $o) (i32.or {pid}"
            f" (i32.shl (i32.shr_u (local.get $t) (i32.const 1)) (i32.const 31))))\n"
            f"  (local.set $o (i32.add (local.get $o) (i32.const 8)))))"
        )

    @staticmethod
    def _event_loop(
        signature: str, room: str, body: str, extra_locals: str = "", before: str = ""
    ) -> str:
        """An exported batch entry: sets up the header state, then runs ``body`` per event from
        ``$start`` while the output area has ``room`` bytes left, recording progress in the
        header at every event boundary (so that a trap loses one event only)."""
        h = layout.Header()
        return f"""(func (export {signature}) (result i32)
  (local $e i32) (local $n i32) (local $o i32) (local $end i32) (local $c i32) (local $t i32)
  {extra_locals}
  (global.set $str_base (i64.extend_i32_u (i32.load (i32.const {h.str_base}))))
  (global.set $list_base (i64.extend_i32_u (i32.load (i32.const {h.list_base}))))
  (local.set $n (i32.load (i32.const {h.n_events})))
  (local.set $o (i32.load (i32.const {h.out_ptr})))
  (local.set $end (i32.add (local.get $o)
    (i32.shl (i32.load (i32.const {h.out_cap})) (i32.const 3))))
  (local.set $e (local.get $start))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $e) (local.get $n)))
    {before}
    (br_if $done (i32.gt_u (i32.add (local.get $o) {room}) (local.get $end)))
    (i32.store (i32.const {h.cur_event}) (local.get $e))
    (i32.store (i32.const {h.out_used}) (local.get $o))
    (global.set $scratch (global.get $scratch_base))
    {body}
    (local.set $e (i32.add (local.get $e) (i32.const 1)))
    (br $next)))
  (i32.store (i32.const {h.cur_event}) (local.get $e))
  (i32.store (i32.const {h.out_used}) (local.get $o))
  (i32.shr_u (i32.sub (local.get $o) (i32.load (i32.const {h.out_ptr}))) (i32.const 3)))"""

    # ---- dispatch --------------------------------------------------------------------------

    def label(self) -> str:
        """A fresh block label."""
        self._labels += 1
        return f"$b{self._labels}"

    def cond(self, expr: ir.Expr) -> str:
        """Code leaving the truth value (i32) of ``expr``."""
        name = type(expr).__name__.lower()
        method = getattr(self, f"{name}_cond", None)
        if method is not None:
            return method(expr)
        return self.value(expr) + "\ncall $truth"

    def value(self, expr: ir.Expr, lower: bool = False) -> str:
        """Code leaving ``tag i32, bits i64`` of ``expr`` (``lower``: strings lowercased)."""
        name = type(expr).__name__.lower()
        method = getattr(self, f"{name}_value", None)
        if method is not None:
            return method(expr, lower)
        if getattr(self, f"{name}_cond", None) is not None:
            return self.cond(expr) + "\ncall $of_truth"
        raise NotImplementedError(
            f"the WAT generator has no case for IR node {type(expr).__name__}"
        )

    def to_locals(self, code: str) -> tuple[str, str, str]:
        """Store a value in two fresh locals: (code, tag local, bits local)."""
        t, b = self.fn.local("i32"), self.fn.local("i64")
        return f"{code}\nlocal.set {b}\nlocal.set {t}", t, b

    def elem(self, body: str, locals_: str = "") -> int:
        """Add an element test ``(param $t i32) (param $b i64) (result i32)``; its table index."""
        index = len(self.elems)
        self.elems.append(
            f"(func $f{index} (type $elemfn) (param $t i32) (param $b i64) (result i32) {locals_}\n"
            f"{body})"
        )
        return index

    # ---- leaves ----------------------------------------------------------------------------

    def literal_value(self, expr: ir.Literal, lower: bool = False) -> str:
        """A constant."""
        tag, bits = self.scalar(expr.value, lower)
        return f"i32.const {tag}\ni64.const {bits}"

    def scalar(self, value: ir.Scalar, lower: bool = False) -> tuple[int, int]:
        """(tag, bits) of a constant; an int outside i64 is left to the host."""
        if value is None:
            return NULL, 0
        if isinstance(value, bool):
            return BOOL, int(value)
        if isinstance(value, int):
            if not I64_MIN <= value <= I64_MAX:
                raise Defer(f"integer {value} is outside 64 bits")
            return INT, value
        if isinstance(value, float):
            return FLOAT, struct.unpack("<q", struct.pack("<d", value))[0]
        if isinstance(value, str):
            return STR, self.data.intern(utf8(value.lower() if lower else value))
        raise CompileError(f"unsupported literal {value!r}")

    def column(self, path: tuple[str | int, ...], lower: bool) -> int:
        """The column index of a field (and case), noted as read by the current predicate."""
        index = self.columns.setdefault((path, lower), len(self.columns))
        self._used.add(index)
        return index

    def field_value(self, expr: ir.Field, lower: bool = False) -> str:
        """A field load: the event's cell of the field's column (lowercased column if asked)."""
        col = self.column(expr.path, lower)
        return (
            f"local.get $e\ni32.const 4\ni32.shl\n"
            f"i32.const {layout.Header.column_slot(col)}\ni32.load\ni32.add\ncall $cell"
        )

    def eventtime_value(self, expr: ir.EventTime, lower: bool = False) -> str:
        """The event's timestamp column."""
        return self.field_value(ir.Field(("\0time",)), False)

    def external_cond(self, expr: ir.External) -> str:
        """Packages are loaded as modules of their own, never compiled into a rule set."""
        raise CompileError(f"External({expr.runtime}, {expr.ref}) cannot be compiled to WAT")

    # ---- logic -----------------------------------------------------------------------------

    def _fold(self, operands: Sequence[ir.Expr], init: int, stop: int) -> str:
        acc, r, out = self.fn.local("i32"), self.fn.local("i32"), self.label()
        lines = [f"i32.const {init}", f"local.set {acc}", f"block {out}"]
        for op in operands:
            lines += [
                self.cond(op),
                f"local.tee {r}",
                f"i32.const {stop}",
                "i32.eq",
                f"if\ni32.const {stop}\nlocal.set {acc}\nbr {out}\nend",
                f"local.get {acc}\nlocal.get {r}\nlocal.get {acc}\nlocal.get {r}\ni32.gt_u\nselect",
                f"local.set {acc}",
            ]
        lines += ["end", f"local.get {acc}"]
        return "\n".join(lines)

    def and_cond(self, expr: ir.And) -> str:
        """False if any operand is false, else defer/null/true (in that order of precedence)."""
        return self._fold(expr.operands, 1, 0)

    def or_cond(self, expr: ir.Or) -> str:
        """True if any operand is true, else defer/null/false."""
        return self._fold(expr.operands, 0, 1)

    def not_cond(self, expr: ir.Not) -> str:
        """Three-valued negation."""
        return self.cond(expr.operand) + "\ncall $not"

    def isnull_cond(self, expr: ir.IsNull) -> str:
        """Null, or a list of nulls only."""
        return self.value(expr.operand) + "\ncall $isnull"

    def compare_cond(self, expr: ir.Compare) -> str:
        """Any pair of non-null elements compares true (three-valued OR)."""
        ci = expr.case_insensitive
        return (
            f"i32.const {OPS[expr.op]}\n{self.value(expr.left, ci)}\n{self.value(expr.right, ci)}"
            "\ncall $compare"
        )

    # ---- sets and patterns -------------------------------------------------------------------

    def in_cond(self, expr: ir.In) -> str:
        """``operand in (values)``: a generated element test for constant sets."""
        ci = expr.case_insensitive
        if all(isinstance(v, ir.Literal) for v in expr.values):
            return self._in_constants(expr)
        code, t, b = self.to_locals(self.value(expr.operand, ci))
        acc, r, out = self.fn.local("i32"), self.fn.local("i32"), self.label()
        lines = [code, f"i32.const 2\nlocal.set {acc}\nblock {out}"]
        lines.append(f"local.get {t}\nlocal.get {b}\ncall $has\ni32.eqz\nbr_if {out}")
        lines.append(f"i32.const 0\nlocal.set {acc}")
        for value in expr.values:
            lines += [
                f"i32.const 0\nlocal.get {t}\nlocal.get {b}\n{self.value(value, ci)}\ncall $cmp",
                f"local.tee {r}\ni32.const 1\ni32.eq",
                f"if\ni32.const 1\nlocal.set {acc}\nbr {out}\nend",
                f"local.get {r}\ni32.const 3\ni32.eq\nif\ni32.const 3\nlocal.set {acc}\nend",
            ]
        lines += ["end", f"local.get {acc}"]
        return "\n".join(lines)

    def _in_constants(self, expr: ir.In) -> str:
        ci = expr.case_insensitive
        values = [v.value for v in expr.values if v.value is not None]  # type: ignore[union-attr]
        strings = sorted({utf8(v.lower() if ci else v) for v in values if isinstance(v, str)})
        others = [v for v in values if not isinstance(v, str)]
        lines = ["local.get $t\ni32.const 7\ni32.eq\nif\ni32.const 3\nreturn\nend"]
        if strings:
            checks = "\n".join(
                f"local.get $b\ni64.const {self.data.intern(s)}\ncall $str_eq\nif\n"
                "i32.const 1\nreturn\nend"
                for s in strings
            )
            lines.append(f"local.get $t\ni32.const 4\ni32.eq\nif\n{checks}\nend")
        for v in others:
            tag, bits = self.scalar(v)
            lines.append(
                f"i32.const 0\nlocal.get $t\nlocal.get $b\ni32.const {tag}\ni64.const {bits}\n"
                "call $cmp1\nlocal.tee $r\ni32.const 1\ni32.eq\nif\ni32.const 1\nreturn\nend\n"
                "local.get $r\ni32.const 3\ni32.eq\nif\ni32.const 3\nreturn\nend"
            )
        lines.append("i32.const 0")
        index = self.elem("\n".join(lines), "(local $r i32)")
        return f"i32.const {index}\n{self.value(expr.operand, ci)}\ncall $any"

    def match_cond(self, expr: ir.Match) -> str:
        """Wildcards as equality/prefix/suffix/substring/glob checks in wasm; regex via host."""
        ci = expr.case_insensitive
        lines = [
            "local.get $t\ni32.const 4\ni32.ne\nif\nlocal.get $t\ni32.const 7\ni32.eq\n"
            "i32.const 3\ni32.mul\nreturn\nend"
        ]
        if expr.kind == "regex":
            if expr.patterns:
                joined = "|".join(f"(?:{p})" for p in dict.fromkeys(expr.patterns))
                check_regex(joined, ci)
                rid = self.regexes.setdefault((joined, ci), len(self.regexes))
                lines.append(
                    f"i32.const {rid}\nlocal.get $b\ncall $ptr\nlocal.get $b\ncall $len\n"
                    "call $re_match\nif\ni32.const 1\nreturn\nend"
                )
        elif expr.kind == "wildcard":
            for pattern in dict.fromkeys(expr.patterns):
                lines.append(self._wildcard(pattern.lower() if ci else pattern))
        else:
            raise CompileError(f"unknown match kind {expr.kind!r}")
        lines.append("i32.const 0")
        index = self.elem("\n".join(lines))
        return f"i32.const {index}\n{self.value(expr.operand, ci)}\ncall $any"

    def _wildcard(self, pattern: str) -> str:
        parts = parse_wildcard(pattern)
        shape = tuple(p if p in (STAR, ONE) else "L" for p in parts)
        lit = [self.data.intern(utf8(p)) for p in parts if p not in (STAR, ONE)]
        hit = "if\ni32.const 1\nreturn\nend"
        if shape in ((), ("L",)):
            bits = lit[0] if lit else self.data.intern(b"")
            return f"local.get $b\ni64.const {bits}\ncall $str_eq\n{hit}"
        if shape == (STAR,):
            return f"i32.const 1\n{hit}"
        if shape == ("L", STAR):
            return f"local.get $b\ni64.const {lit[0]}\ncall $starts\n{hit}"
        if shape == (STAR, "L"):
            return f"local.get $b\ni64.const {lit[0]}\ncall $ends\n{hit}"
        if shape == (STAR, "L", STAR):
            return f"local.get $b\ni64.const {lit[0]}\ncall $contains\n{hit}"
        bits = self.data.intern(glob_bytes(parts))
        return f"i64.const {bits}\nlocal.get $b\ncall $glob\n{hit}"

    # ---- arithmetic --------------------------------------------------------------------------

    def arith_value(self, expr: ir.Arith, lower: bool = False) -> str:
        """``+ - * / %`` on numbers; int overflow and float ``%`` defer to the host."""
        return self._lowered(
            f"i32.const {ARITH_OPS[expr.op]}\n{self.value(expr.left)}\n{self.value(expr.right)}"
            "\ncall $arith",
            lower,
        )

    def neg_value(self, expr: ir.Neg, lower: bool = False) -> str:
        """Unary minus."""
        return self.value(expr.operand) + "\ncall $neg"

    def _lowered(self, code: str, lower: bool) -> str:
        """A computed value, ASCII-lowercased in wasm when asked (non-ASCII text defers)."""
        return f"{code}\ncall $lower" if lower else code
