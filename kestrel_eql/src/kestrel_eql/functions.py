"""The EQL functions Kestrel knows: their arity, argument types and what they lower to.

Names are case-insensitive (``stringContains``, ``stringcontains``); a ``~`` after the name
(``startsWith~``) asks for case-insensitive matching where the function supports it.
"""

from __future__ import annotations

import attrs

#: Value kinds the analyzer can see statically. ``any`` accepts everything.
STRING, NUMBER, BOOLEAN, ANY = "string", "number", "boolean", "any"


@attrs.frozen
class Signature:
    """One function: parameter kinds, optional ones, a variadic tail, and its lowering.

    ``lowers_to`` is the canonical IR function name (:data:`kestrel_core.ir.FUNCTIONS`), or
    ``"match:wildcard"`` / ``"match:regex"`` for the function forms of ``like`` and ``regex``,
    whose pattern arguments must be string constants.
    """

    name: str
    params: tuple[str, ...]
    returns: str
    optional: tuple[str, ...] = ()
    variadic: str | None = None
    insensitive: bool = False
    lowers_to: str = ""

    @property
    def min_args(self) -> int:
        """The number of required arguments."""
        return len(self.params)

    @property
    def max_args(self) -> int | None:
        """The largest number of arguments, ``None`` when variadic."""
        return None if self.variadic else len(self.params) + len(self.optional)

    def kind_of(self, index: int) -> str:
        """The expected kind of argument ``index`` (0-based)."""
        fixed = self.params + self.optional
        if index < len(fixed):
            return fixed[index]
        return self.variadic or ANY

    def arity(self) -> str:
        """``2``, ``2 or 3``, ``at least 2``: for messages."""
        if self.max_args is None:
            return f"at least {self.min_args}"
        if self.max_args == self.min_args:
            return str(self.min_args)
        return f"{self.min_args} to {self.max_args}"


def _sig(name: str, *params: str, returns: str, **kw: object) -> Signature:
    lowers_to = kw.pop("lowers_to", name.lower())
    return Signature(name, params, returns, lowers_to=lowers_to, **kw)  # type: ignore[arg-type]


_S, _N, _B, _A = STRING, NUMBER, BOOLEAN, ANY

#: Every known function by lowercase name. Elasticsearch's EQL functions, then aliases.
SIGNATURES: dict[str, Signature] = {
    sig.name.lower(): sig
    for sig in (
        _sig("add", _N, _N, returns=_N),
        _sig("between", _S, _S, _S, optional=(_B,), returns=_S, insensitive=True),
        _sig("cidrMatch", _S, _S, variadic=_S, returns=_B),
        _sig("concat", _A, variadic=_A, returns=_S),
        _sig("divide", _N, _N, returns=_N),
        _sig("endsWith", _S, _S, returns=_B, insensitive=True),
        _sig("indexOf", _S, _S, optional=(_N,), returns=_N, insensitive=True),
        _sig("length", _S, returns=_N),
        _sig("modulo", _N, _N, returns=_N),
        _sig("multiply", _N, _N, returns=_N),
        _sig("number", _S, optional=(_N,), returns=_N),
        _sig("startsWith", _S, _S, returns=_B, insensitive=True),
        _sig("string", _A, returns=_S),
        _sig("stringContains", _S, _S, returns=_B, insensitive=True),
        _sig("substring", _S, _N, optional=(_N,), returns=_S),
        _sig("subtract", _N, _N, returns=_N),
        # Aliases: the function forms of `like` and `regex`, and a short `contains`.
        _sig("wildcard", _S, _S, variadic=_S, returns=_B, insensitive=True,
             lowers_to="match:wildcard"),
        _sig("match", _S, _S, variadic=_S, returns=_B, insensitive=True, lowers_to="match:regex"),
        _sig("regex", _S, _S, variadic=_S, returns=_B, insensitive=True, lowers_to="match:regex"),
        _sig("contains", _S, _S, returns=_B, insensitive=True, lowers_to="stringcontains"),
    )
}  # fmt: skip

#: Functions of other EQL dialects Kestrel does not run yet, by lowercase name.
UNSUPPORTED: dict[str, str] = {
    "arraysearch": "array function arraySearch",
    "arraycontains": "array function arrayContains",
    "arraycount": "array function arrayCount",
    "_arraysearch": "array function _arraysearch",
    "_arraycontains": "array function _arraycontains",
    "_arraycount": "array function _arraycount",
}
