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
    whose pattern arguments must be string constants; ``"match:python"`` (Endgame ``match``:
    Python regexes anchored at the start) and ``"match:python_first"`` (``matchLite``, the
    pattern first); ``"array:search"``, ``"array:count"``, ``"array:contains"`` for the array
    functions (their second argument names the element variable); ``"safe"`` for Endgame's
    ``safe(x)``, which is ``x`` (Kestrel's functions already give null where Endgame raises).
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

#: Elastic Defend's array functions, accepted by the Elasticsearch dialect (endpoint rules).
DEFEND_ARRAY_FUNCTIONS: dict[str, Signature] = {
    sig.name.lower(): sig
    for sig in (
        _sig("_arraysearch", _A, _A, _B, returns=_B, lowers_to="array:search"),
        _sig("_arraycount", _A, _A, _B, returns=_N, lowers_to="array:count"),
        _sig("_arraycontains", _A, _A, variadic=_A, returns=_B, lowers_to="array:contains"),
    )
}

#: The Elasticsearch dialect's functions.
ELASTICSEARCH_SIGNATURES: dict[str, Signature] = {**SIGNATURES, **DEFEND_ARRAY_FUNCTIONS}

#: The Endgame dialect's functions: Elasticsearch's, with Endgame's own meanings where they
#: differ (``match`` takes Python regexes anchored at the start, ``between`` keeps its legacy
#: ``case_sensitive`` argument), plus the array functions, ``matchLite`` and ``safe``.
ENDGAME_SIGNATURES: dict[str, Signature] = {
    **ELASTICSEARCH_SIGNATURES,
    **{
        sig.name.lower(): sig
        for sig in (
            _sig("between", _S, _S, _S, optional=(_B, _B), returns=_S, insensitive=True),
            _sig("match", _S, _S, variadic=_S, returns=_B, insensitive=True,
                 lowers_to="match:python"),
            _sig("matchLite", _S, _S, returns=_B, insensitive=True,
                 lowers_to="match:python_first"),
            _sig("arraySearch", _A, _A, _B, returns=_B, lowers_to="array:search"),
            _sig("arrayCount", _A, _A, _B, returns=_N, lowers_to="array:count"),
            _sig("arrayContains", _A, _A, variadic=_A, returns=_B, lowers_to="array:contains"),
            _sig("safe", _A, returns=_A, lowers_to="safe"),
        )
    },
}  # fmt: skip

#: Functions of other EQL dialects, by lowercase name: the Elasticsearch dialect rejects them as
#: unsupported, naming the dialect that has them.
UNSUPPORTED: dict[str, str] = {
    "arraysearch": "array function arraySearch (Endgame dialect)",
    "arraycontains": "array function arrayContains (Endgame dialect)",
    "arraycount": "array function arrayCount (Endgame dialect)",
    "matchlite": "function matchLite (Endgame dialect)",
    "safe": "function safe (Endgame dialect)",
}
