"""The EQL functions (:data:`kestrel_core.ir.FUNCTIONS`) and arithmetic, as Elasticsearch has them.

Every predicate runtime written in Python (the reference interpreter and the generated code of the
``python`` runtime) calls these, so the two agree by construction on function semantics. Each
function takes ``case_insensitive`` first (the ``~`` variants), then its EQL arguments.

Conventions, following the Elasticsearch EQL function reference and its processors:

* A null required argument makes the result null.
* Where Elasticsearch raises an error on a value of the wrong type (``length(5)``,
  ``number("abc")``, an invalid IP in ``cidrMatch``), the result here is null: a predicate over a
  stream of events cannot stop the stream, and a null condition never matches.
* ``bool`` is not a number.
* Multi-valued fields (lists): the boolean functions (``startsWith``, ``endsWith``,
  ``stringContains``, ``cidrMatch``) are true when any element of their first argument makes them
  true, as comparisons are; ``length`` of a list is its number of values; ``string`` of a list is
  Java's ``List.toString`` (``"[a, b]"``); other functions given a list return null.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

Value = Any

#: (min args, max args or None for variadic) per function.
ARITY: dict[str, tuple[int, int | None]] = {
    "add": (2, 2),
    "between": (3, 5),
    "cidrmatch": (2, None),
    "concat": (1, None),
    "divide": (2, 2),
    "endswith": (2, 2),
    "indexof": (2, 3),
    "length": (1, 1),
    "modulo": (2, 2),
    "multiply": (2, 2),
    "number": (1, 2),
    "startswith": (2, 2),
    "string": (1, 1),
    "stringcontains": (2, 2),
    "substring": (2, 3),
    "subtract": (2, 2),
    "arraysearch": (2, None),
    "arraycount": (2, None),
}


def is_number(value: object) -> bool:
    """True for ``int`` and ``float`` values (``bool`` is not a number)."""
    return type(value) is int or type(value) is float


# ---------------------------------------------------------------------------------------------
# Arithmetic


def arith(op: str, left: Value, right: Value) -> Value:
    """``left OP right`` for ``+ - * / %``: null unless both are numbers; ``/`` and ``%`` on two
    integers truncate toward zero (Java); division or modulo by zero is null."""
    if not (is_number(left) and is_number(right)):
        return None
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        return None
    both_int = type(left) is int and type(right) is int
    if op == "/":
        if both_int:
            quotient = abs(left) // abs(right)
            return quotient if (left < 0) == (right < 0) else -quotient
        return left / right
    if op == "%":
        if both_int:
            remainder = abs(left) % abs(right)
            return remainder if left >= 0 else -remainder
        return math.fmod(left, right)
    raise ValueError(f"unknown arithmetic operator {op!r}")


def neg(value: Value) -> Value:
    """Unary minus: null unless a number."""
    return -value if is_number(value) else None


# ---------------------------------------------------------------------------------------------
# Helpers


def _java_double(value: float) -> str:
    """``Double.toString``: ``1.0``, ``1.5E-5``, ``1.0E20``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    candidate = repr(value)
    for precision in range(17):  # the shortest mantissa that round-trips
        candidate = f"{value:.{precision}e}"
        if float(candidate) == value:
            break
    digits, _, exponent = candidate.partition("e")
    digits = digits.rstrip("0") if "." in digits else digits + "."
    if digits.endswith("."):
        digits += "0"
    return f"{digits}E{int(exponent)}"


def to_string(value: Value) -> str | None:
    """Java's ``toString`` of a value, as Elasticsearch's ``string()`` and ``concat()`` use."""
    if value is None:
        return None
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is float:
        return _java_double(value)
    if type(value) is list:
        return "[" + ", ".join("null" if v is None else to_string(v) or "" for v in value) + "]"
    if type(value) is dict:
        inner = ", ".join(f"{k}={'null' if v is None else to_string(v)}" for k, v in value.items())
        return "{" + inner + "}"
    return str(value)


def _any_element(fn: Callable[..., Value], source: Value, *rest: Value) -> Value:
    """Three-valued OR of ``fn(element, *rest)`` over the non-null elements of a list."""
    result: Value = None
    for element in source:
        if element is None:
            continue
        r = fn(element, *rest)
        if r is True:
            return True
        if r is False:
            result = False
    return result


def _lower_pair(a: str, b: str, case_insensitive: bool) -> tuple[str, str]:
    return (a.lower(), b.lower()) if case_insensitive else (a, b)


# ---------------------------------------------------------------------------------------------
# String functions


def _starts(source: Value, prefix: Value, ci: bool) -> Value:
    if type(source) is not str or type(prefix) is not str:
        return None
    s, p = _lower_pair(source, prefix, ci)
    return s.startswith(p)


def _ends(source: Value, suffix: Value, ci: bool) -> Value:
    if type(source) is not str or type(suffix) is not str:
        return None
    s, p = _lower_pair(source, suffix, ci)
    return s.endswith(p)


def _contains(source: Value, sub: Value, ci: bool) -> Value:
    if type(source) is not str or type(sub) is not str:
        return None
    if not source or not sub:  # Elasticsearch: an empty string contains nothing
        return False
    s, p = _lower_pair(source, sub, ci)
    return p in s


def startswith(ci: bool, source: Value, prefix: Value) -> Value:
    """``startsWith(source, prefix)``."""
    if type(source) is list:
        return _any_element(_starts, source, prefix, ci)
    return _starts(source, prefix, ci)


def endswith(ci: bool, source: Value, suffix: Value) -> Value:
    """``endsWith(source, suffix)``."""
    if type(source) is list:
        return _any_element(_ends, source, suffix, ci)
    return _ends(source, suffix, ci)


def stringcontains(ci: bool, source: Value, sub: Value) -> Value:
    """``stringContains(source, substring)``; an empty source or substring gives false."""
    if type(source) is list:
        return _any_element(_contains, source, sub, ci)
    return _contains(source, sub, ci)


def between(
    ci: bool,
    source: Value,
    left: Value,
    right: Value,
    greedy: Value = False,
    case_sensitive: Value = None,
) -> Value:
    """``between(source, left, right[, greedy[, case_sensitive]])``: the text between the first
    ``left`` and the next (greedy: the last) ``right``; ``""`` when either is not found. An
    explicit ``case_sensitive`` argument (legacy EQL) overrides the ``~`` flag."""
    if source is None or left is None or right is None:
        return None
    if not (type(source) is str and type(left) is str and type(right) is str):
        return None
    if greedy is None:
        greedy = False
    if type(greedy) is not bool:
        return None
    if type(case_sensitive) is bool:
        ci = not case_sensitive
    elif case_sensitive is not None:
        return None
    if not source or not left or not right:
        return source
    text, lft = _lower_pair(source, left, ci)
    rgt = right.lower() if ci else right
    if len(text) != len(source):  # lowering changed lengths: slice the lowered text
        source = text
    idx = text.find(lft)
    if idx < 0:
        return ""
    start = idx + len(lft)
    end = text.rfind(rgt) if greedy else text.find(rgt, start)
    if end < start:
        return ""
    return source[start:end]


def indexof(ci: bool, source: Value, sub: Value, start: Value = None) -> Value:
    """``indexOf(source, substring[, start])``: the first position at or after ``start``
    (Java ``String.indexOf``), null when not found."""
    if source is None or sub is None:
        return None
    if type(source) is not str or type(sub) is not str:
        return None
    if start is None:
        start = 0
    if not is_number(start):
        return None
    begin = max(int(start), 0)
    text, needle = _lower_pair(source, sub, ci)
    if begin >= len(text):
        return len(text) if needle == "" else None
    found = text.find(needle, begin)
    return None if found < 0 else found


def length(ci: bool, value: Value) -> Value:
    """``length(value)``: characters of a string; number of values of a multi-valued field."""
    if type(value) is str or type(value) is list:
        return len(value)
    return None


def string(ci: bool, value: Value) -> Value:
    """``string(value)``: Java's ``toString`` of the value."""
    return to_string(value)


def concat(ci: bool, *values: Value) -> Value:
    """``concat(values...)``: null if any value is null (Elasticsearch's processor)."""
    if any(v is None for v in values):
        return None
    return "".join(to_string(v) or "" for v in values)


def substring(ci: bool, source: Value, start: Value, end: Value = None) -> Value:
    """``substring(source, start[, end])`` with Python slice semantics (negative indices)."""
    if source is None:
        return None
    if type(source) is not str:
        return None
    if start is None:
        return source
    if not is_number(start) or (end is not None and not is_number(end)):
        return None
    stop = len(source) if end is None else int(end)
    return source[int(start) : stop]


_DECIMAL = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_INT32 = (-(2**31), 2**31 - 1)


def number(ci: bool, source: Value, base: Value = None) -> Value:
    """``number(string[, base])``: base 10 parses decimals (``"1337.5"``), other bases integers;
    a ``0x`` prefix selects (and with base 16 is stripped for) hexadecimal. Null if unparsable."""
    if source is None:
        return None
    if type(source) is not str:
        return None
    hex_prefix = source.startswith("0x")
    if base is None:
        base = 16 if hex_prefix else 10
    if type(base) is not int:
        return None
    text = source[2:] if hex_prefix and base == 16 else source
    if base == 10:
        if not _DECIMAL.fullmatch(text):
            return None
        value = float(text)
        if value.is_integer() and text != "-0" and abs(value) < 2**63:
            return int(value)
        return value
    if not 2 <= base <= 36 or not re.fullmatch(r"[+-]?[0-9A-Za-z]+", text):
        return None
    try:
        parsed = int(text, base)
    except ValueError:
        return None
    return parsed if _INT32[0] <= parsed <= _INT32[1] else None


@lru_cache(maxsize=4096)
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=65536)
def _address(ip: str) -> tuple[int, int] | None:
    """(IP version, integer value), or None when ``ip`` is not an address."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    return address.version, int(address)


@lru_cache(maxsize=4096)
def _blocks(cidrs: tuple[Value, ...]) -> tuple[tuple[int, int, int], ...] | None:
    """The blocks as (version, first, last) integers, parsed once per rule's list; None when one
    is not a block (the call is then null, as Elasticsearch refuses it)."""
    out = []
    for cidr in cidrs:
        net = _network(cidr) if type(cidr) is str else None
        if net is None:
            return None
        out.append((net.version, int(net.network_address), int(net.broadcast_address)))
    return tuple(out)


def _cidr_one(ip: Value, cidrs: tuple[Value, ...]) -> Value:
    if type(ip) is not str:
        return None
    address = _address(ip)
    if address is None:
        return None
    blocks = _blocks(cidrs)
    if blocks is None:
        return None
    version, value = address
    for block_version, first, last in blocks:
        if block_version == version and first <= value <= last:
            return True
    return False


def cidrmatch(ci: bool, ip: Value, *cidrs: Value) -> Value:
    """``cidrMatch(ip, cidr...)``: true when the address is in any block."""
    if ip is None:
        return None
    if type(ip) is list:
        return _any_element(_cidr_one, ip, cidrs)
    return _cidr_one(ip, cidrs)


#: Distinct addresses one :class:`CidrBlocks` remembers before it starts afresh.
CIDR_MEMO = 65536


class CidrBlocks:
    """``cidrMatch(ip, <the blocks>)`` for a fixed list of blocks (a rule's literals), with the
    answer for each address remembered: the same few thousand addresses recur in every event
    stream, and a rule's list is often a dozen blocks (the private, loopback and link-local
    ranges). Same answers as :func:`cidrmatch` with those blocks."""

    __slots__ = ("_blocks", "_memo")

    def __init__(self, cidrs: tuple[Value, ...]) -> None:
        self._blocks = cidrs
        self._memo: dict[str, Value] = {}

    def __call__(self, ip: Value) -> Value:
        if type(ip) is list:
            return _any_element(self._one, ip)
        return self._one(ip)

    def _one(self, ip: Value) -> Value:
        if type(ip) is not str:
            return None
        memo = self._memo
        found = memo.get(ip, memo)
        if found is not memo:
            return found
        answer = _cidr_one(ip, self._blocks)
        if len(memo) >= CIDR_MEMO:
            memo.clear()
        memo[ip] = answer
        return answer


# ---------------------------------------------------------------------------------------------
# Array functions (Endgame arraySearch / arrayCount, Elastic Defend _arraysearch)
#
# ``arraysearch(array, condition, outer...)``: ``condition`` is the element condition as the JSON
# form of its IR (:func:`kestrel_core.ir_json.to_json`), written by the EQL lowering. Inside it,
# ``Field(("$", ...))`` reads the current element and ``Field(("$outer", i))`` the i-th value
# passed after the condition (the event fields the condition uses besides the element). The
# condition is evaluated by the reference interpreter on a small view ``{"$": element,
# "$outer": [...]}``. A null array is null; a scalar or object counts as a one-element array.


def _ir_from_json(data: Any) -> Any:
    from kestrel_core import ir

    if isinstance(data, dict):
        kind = getattr(ir, data["node"])
        return kind(**{k: _ir_from_json(v) for k, v in data.items() if k != "node"})
    if isinstance(data, list):
        return tuple(_ir_from_json(v) for v in data)
    return data


@lru_cache(maxsize=1024)
def element_condition(text: str) -> Any:
    """The IR condition of an array function from its JSON text (cached)."""
    import json

    return _ir_from_json(json.loads(text))


def _element_results(array: Value, condition: Value, outer: tuple[Value, ...]) -> list[bool] | None:
    if array is None or type(condition) is not str:
        return None
    from kestrel_core.events.model import Event
    from kestrel_core.runtime.interpreter import matches

    cond = element_condition(condition)
    items = array if type(array) is list else [array]
    outer_values = list(outer)
    return [
        matches(cond, Event((), None, None, {"$": item, "$outer": outer_values}, item))
        for item in items
    ]


def arraysearch(ci: bool, array: Value, condition: Value, *outer: Value) -> Value:
    """``arraySearch(array, var, condition)``: true when some element satisfies the condition."""
    results = _element_results(array, condition, outer)
    return None if results is None else any(results)


def arraycount(ci: bool, array: Value, condition: Value, *outer: Value) -> Value:
    """``arrayCount(array, var, condition)``: how many elements satisfy the condition."""
    results = _element_results(array, condition, outer)
    return None if results is None else sum(results)


#: Functions the compiled runtimes leave to the host: the detector evaluates conditions that use
#: them with the reference interpreter (:mod:`kestrel_core.lineage.host`).
HOST_FUNCTIONS: frozenset[str] = frozenset({"arraysearch", "arraycount"})


def _arith_fn(op: str) -> Callable[..., Value]:
    def fn(ci: bool, left: Value, right: Value) -> Value:
        return arith(op, left, right)

    return fn


#: Canonical name -> implementation ``fn(case_insensitive, *args)``.
FUNCTIONS: dict[str, Callable[..., Value]] = {
    "add": _arith_fn("+"),
    "between": between,
    "cidrmatch": cidrmatch,
    "concat": concat,
    "divide": _arith_fn("/"),
    "endswith": endswith,
    "indexof": indexof,
    "length": length,
    "modulo": _arith_fn("%"),
    "multiply": _arith_fn("*"),
    "number": number,
    "startswith": startswith,
    "string": string,
    "stringcontains": stringcontains,
    "substring": substring,
    "subtract": _arith_fn("-"),
}

#: The host functions' implementations (:data:`HOST_FUNCTIONS`), kept apart from
#: :data:`FUNCTIONS` (what the compiled runtimes call): the detector decides conditions that use
#: them on the host, with the reference interpreter.
HOST_FUNCTION_IMPLS: dict[str, Callable[..., Value]] = {
    "arraysearch": arraysearch,
    "arraycount": arraycount,
}


def call(name: str, case_insensitive: bool, args: list[Value]) -> Value:
    """Call function ``name`` with evaluated ``args``."""
    fn = FUNCTIONS.get(name) or HOST_FUNCTION_IMPLS[name]
    return fn(case_insensitive, *args)


def check_arity(name: str, count: int) -> str | None:
    """An error message when ``name`` is unknown or takes a different number of arguments."""
    if name not in ARITY:
        return f"unknown function {name!r}"
    low, high = ARITY[name]
    if count < low or (high is not None and count > high):
        expected = f"{low}" if low == high else f"{low}..{high if high is not None else 'n'}"
        return f"function {name!r} takes {expected} arguments, got {count}"
    return None
