"""Safe Lua literals written in Python: no rule text ever becomes Lua code.

Every string literal is emitted as a double-quoted Lua string in which each byte that is not an
ASCII letter, digit, space or one of a few inert punctuation marks is written as a three-digit
decimal escape (``\\ddd``). Quotes, backslashes, brackets, newlines and control bytes are always
escaped, so a literal cannot close its string, open a long bracket or start a comment.
"""

from __future__ import annotations

import math

_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.,:;/-+*@#%")
#: Integers beyond this magnitude are not exact as Lua (double) numbers and are boxed.
MAX_EXACT_INT = 2**53


def lua_str(text: str | bytes) -> str:
    """The Lua literal of ``text`` (UTF-8 encoded): ``lua_str('a"b') == '"a\\034b"'``."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return '"' + "".join(chr(b) if b in _SAFE else f"\\{b:03d}" for b in data) + '"'


def lua_number(value: int | float) -> str:
    """A Lua number literal for an exact int (|v| <= 2**53) or a float."""
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, int):
        if abs(value) > MAX_EXACT_INT:
            raise ValueError(f"integer {value} is not exact in Lua")
        return str(value)
    if math.isnan(value):
        return "(0/0)"
    if math.isinf(value):
        return "math.huge" if value > 0 else "(-math.huge)"
    return repr(value)


def lua_ident(name: str) -> str:
    """A Lua identifier derived from ``name`` (letters, digits, underscores only)."""
    out = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in name)
    return out if out and not out[0].isdigit() else "_" + out
