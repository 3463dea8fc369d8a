"""The EQL functions in WAT: one ``fn_<name>`` method per function of ``ir.FUNCTIONS``.

Each returns ``(code, is_condition)``: a condition leaves an i32 truth value, a value leaves
``tag i32, bits i64``. Semantics follow :mod:`kestrel_core.runtime.functions`; what wasm cannot
reproduce exactly (Java's float formatting, decimal parsing, ``fmod``, Unicode case folding of
computed text, IPv6) yields the *defer* tag at run time, or :class:`~kestrel_wasm.codegen.Defer`
at generation time (case-insensitive ``between``, ``number`` with a base), so the host evaluates
that predicate with the reference interpreter.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from kestrel_core import ir

if TYPE_CHECKING:
    from kestrel_wasm.codegen import Func


class FunctionsMixin:
    """Function calls for :class:`kestrel_wasm.codegen.WatGenerator`."""

    fn: Func

    # provided by the generator
    def value(self, expr: ir.Expr, lower: bool = False) -> str: ...  # pragma: no cover
    def cond(self, expr: ir.Expr) -> str: ...  # pragma: no cover
    def elem(self, body: str, locals_: str = "") -> int: ...  # pragma: no cover
    def to_locals(self, code: str) -> tuple[str, str, str]: ...  # pragma: no cover
    def _lowered(self, code: str, lower: bool) -> str: ...  # pragma: no cover

    def _call(self, expr: ir.Call) -> tuple[str, bool]:
        method = getattr(self, f"fn_{expr.name}", None)
        if method is None:
            raise NotImplementedError(f"the WAT generator has no case for function {expr.name!r}")
        return method(expr)

    def call_cond(self, expr: ir.Call) -> str:
        """A call used as a condition."""
        code, is_cond = self._call(expr)
        return code if is_cond else code + "\ncall $truth"

    def call_value(self, expr: ir.Call, lower: bool = False) -> str:
        """A call used as a value."""
        code, is_cond = self._call(expr)
        return code + "\ncall $of_truth" if is_cond else self._lowered(code, lower)

    # ---- boolean string functions: any element of the first argument -----------------------

    def _string_test(self, expr: ir.Call, test: str, empty_false: bool) -> tuple[str, bool]:
        ci = expr.case_insensitive
        src, t, b = self.to_locals(self.value(expr.args[0], ci))
        guard = (
            "local.get $b\ncall $len\ni32.eqz\nglobal.get $g1b\ncall $len\ni32.eqz\ni32.or\n"
            "if\ni32.const 0\nreturn\nend\n"
            if empty_false
            else ""
        )
        body = (
            "local.get $t\ni32.const 7\ni32.eq\nglobal.get $g1t\ni32.const 7\ni32.eq\ni32.or\n"
            "if\ni32.const 3\nreturn\nend\n"
            "local.get $t\ni32.const 4\ni32.ne\nglobal.get $g1t\ni32.const 4\ni32.ne\ni32.or\n"
            f"if\ni32.const 2\nreturn\nend\n{guard}{test}"
        )
        index = self.elem(body)
        arg = self.value(expr.args[1], ci)
        return (
            f"{src}\n{arg}\nglobal.set $g1b\nglobal.set $g1t\n"
            f"i32.const {index}\nlocal.get {t}\nlocal.get {b}\ncall $any_fn",
            True,
        )

    def fn_startswith(self, expr: ir.Call) -> tuple[str, bool]:
        """``startsWith(source, prefix)``."""
        return self._string_test(expr, "local.get $b\nglobal.get $g1b\ncall $starts", False)

    def fn_endswith(self, expr: ir.Call) -> tuple[str, bool]:
        """``endsWith(source, suffix)``."""
        return self._string_test(expr, "local.get $b\nglobal.get $g1b\ncall $ends", False)

    def fn_stringcontains(self, expr: ir.Call) -> tuple[str, bool]:
        """``stringContains(source, substring)``; empty strings contain nothing."""
        return self._string_test(expr, "local.get $b\nglobal.get $g1b\ncall $contains", True)

    def fn_cidrmatch(self, expr: ir.Call) -> tuple[str, bool]:
        """``cidrMatch(ip, cidr...)`` for IPv4 in wasm; IPv6 addresses defer."""
        from kestrel_wasm.codegen import Defer

        checks: list[str] = []
        invalid = False
        for arg in expr.args[1:]:
            if not isinstance(arg, ir.Literal):
                raise Defer("cidrMatch with computed blocks")
            try:
                net = ipaddress.ip_network(arg.value, strict=False)  # type: ignore[arg-type]
            except (ValueError, TypeError):
                invalid = True
                break
            if net.version == 4:
                mask = int(net.netmask)
                checks.append(
                    f"local.get $a\ni64.const {mask}\ni64.and\ni64.const {int(net.network_address)}"
                    "\ni64.eq\nif\ni32.const 1\nreturn\nend"
                )
        body = (
            "local.get $t\ni32.const 7\ni32.eq\nif\ni32.const 3\nreturn\nend\n"
            "local.get $t\ni32.const 4\ni32.ne\nif\ni32.const 2\nreturn\nend\n"
            "local.get $b\ncall $ipv4\nlocal.tee $a\n"
            "i64.const -2\ni64.eq\nif\ni32.const 3\nreturn\nend\n"
            "local.get $a\ni64.const -1\ni64.eq\nif\ni32.const 2\nreturn\nend\n"
            + "\n".join(checks)
            + f"\ni32.const {2 if invalid else 0}"
        )
        index = self.elem(body, "(local $a i64)")
        return f"i32.const {index}\n{self.value(expr.args[0])}\ncall $any_fn", True

    # ---- value functions ---------------------------------------------------------------------

    def fn_length(self, expr: ir.Call) -> tuple[str, bool]:
        """``length``: code points of a string, values of a list."""
        return f"{self.value(expr.args[0])}\ncall $length", False

    def fn_string(self, expr: ir.Call) -> tuple[str, bool]:
        """``string``: ints, bools and strings in wasm; floats and lists defer."""
        return f"{self.value(expr.args[0])}\ncall $to_string", False

    def fn_concat(self, expr: ir.Call) -> tuple[str, bool]:
        """``concat``: null if any argument is null; built in the scratch area."""
        from kestrel_wasm.codegen import utf8

        rt, rb = self.fn.local("i32"), self.fn.local("i64")
        flag = self.fn.local("i32")  # 0 ok, 1 defer, 2 null
        t, b = self.fn.local("i32"), self.fn.local("i64")
        empty = self.data.intern(utf8(""))  # type: ignore[attr-defined]
        lines = [f"i32.const 4\nlocal.set {rt}\ni64.const {empty}\nlocal.set {rb}"]
        lines.append(f"i32.const 0\nlocal.set {flag}")
        for arg in expr.args:
            lines.append(
                f"{self.value(arg)}\ncall $to_string\nlocal.set {b}\nlocal.set {t}\n"
                f"local.get {t}\ni32.eqz\nif\ni32.const 2\nlocal.set {flag}\nend\n"
                f"local.get {t}\ni32.const 7\ni32.eq\nlocal.get {flag}\ni32.eqz\ni32.and\n"
                f"if\ni32.const 1\nlocal.set {flag}\nend\n"
                f"local.get {t}\ni32.const 4\ni32.eq\n"
                f"local.get {rt}\ni32.const 4\ni32.eq\ni32.and\n"
                f"if\nlocal.get {rb}\nlocal.get {b}\ncall $concat2\n"
                f"local.set {rb}\nlocal.set {rt}\nend"
            )
        lines.append(
            f"local.get {flag}\ni32.const 2\ni32.eq\n"
            "if (result i32 i64)\ni32.const 0\ni64.const 0\n"
            f"else\nlocal.get {flag}\nif (result i32 i64)\ni32.const 7\ni64.const 0\nelse\n"
            f"local.get {rt}\nlocal.get {rb}\nend\nend"
        )
        return "\n".join(lines), False

    def fn_substring(self, expr: ir.Call) -> tuple[str, bool]:
        """``substring(source, start[, end])``, Python slice semantics on code points."""
        end = self.value(expr.args[2]) if len(expr.args) > 2 else "i32.const 0\ni64.const 0"
        return (
            f"{self.value(expr.args[0])}\n{self.value(expr.args[1])}\n{end}\ncall $substring",
            False,
        )

    def fn_indexof(self, expr: ir.Call) -> tuple[str, bool]:
        """``indexOf(source, substring[, start])``: a code point index or null."""
        ci = expr.case_insensitive
        start = self.value(expr.args[2]) if len(expr.args) > 2 else "i32.const 0\ni64.const 0"
        source, sub = self.value(expr.args[0], ci), self.value(expr.args[1], ci)
        return f"{source}\n{sub}\n{start}\ncall $indexof", False

    def fn_between(self, expr: ir.Call) -> tuple[str, bool]:
        """``between(source, left, right[, greedy])``, case-sensitive; the rest on the host."""
        from kestrel_wasm.codegen import Defer

        if expr.case_insensitive or len(expr.args) > 4:
            raise Defer("case-insensitive between()")
        greedy = expr.args[3] if len(expr.args) > 3 else ir.Literal(False)
        if not isinstance(greedy, ir.Literal) or not isinstance(greedy.value, (bool, type(None))):
            raise Defer("between() with a computed greedy argument")
        args = "\n".join(self.value(a) for a in expr.args[:3])
        return f"{args}\ni32.const {int(bool(greedy.value))}\ncall $between", False

    def fn_number(self, expr: ir.Call) -> tuple[str, bool]:
        """``number(source)``: decimal integers in wasm; bases and decimals on the host."""
        from kestrel_wasm.codegen import Defer

        if len(expr.args) > 1 and not (
            isinstance(expr.args[1], ir.Literal) and expr.args[1].value is None
        ):
            raise Defer("number() with a base")
        return f"{self.value(expr.args[0])}\ncall $number", False

    def _arith(self, expr: ir.Call, op: int) -> tuple[str, bool]:
        left, right = (self.value(a) for a in expr.args)
        return f"i32.const {op}\n{left}\n{right}\ncall $arith", False

    def fn_add(self, expr: ir.Call) -> tuple[str, bool]:
        """``add(a, b)``."""
        return self._arith(expr, 0)

    def fn_subtract(self, expr: ir.Call) -> tuple[str, bool]:
        """``subtract(a, b)``."""
        return self._arith(expr, 1)

    def fn_multiply(self, expr: ir.Call) -> tuple[str, bool]:
        """``multiply(a, b)``."""
        return self._arith(expr, 2)

    def fn_divide(self, expr: ir.Call) -> tuple[str, bool]:
        """``divide(a, b)``."""
        return self._arith(expr, 3)

    def fn_modulo(self, expr: ir.Call) -> tuple[str, bool]:
        """``modulo(a, b)``."""
        return self._arith(expr, 4)
