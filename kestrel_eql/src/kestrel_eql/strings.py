"""EQL string literals: unescaping what the lexer matched, and quoting for the printer."""

from __future__ import annotations

import re

#: The one-character escapes of a ``"..."`` string and what they stand for.
ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "'": "'", "b": "\b", "f": "\f"}

_ESCAPE = re.compile(r"\\(u\{[^}]*\}?|.)", re.DOTALL)
_UNICODE = re.compile(r"u\{([0-9A-Fa-f]{1,8})\}")


class StringEscapeError(ValueError):
    """A bad ``\\u{...}`` escape; ``offset`` is its position inside the token."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def unquote(token: str) -> str:
    """The value of a string token: ``"a\\tb"`` is ``a<TAB>b``; ``\"\"\"raw\"\"\"`` is ``raw``.

    ``\\u{XXXX}`` (1 to 8 hex digits) is a code point. An unknown escape such as ``\\.`` or
    ``\\/`` keeps its backslash, as Elasticsearch keeps it: wildcard and regex patterns read it.
    """
    if token.startswith('"""'):
        return token[3:-3]
    if token.startswith("?"):  # Endgame raw string: only the quote character is escaped
        quote_char = token[1]
        return token[2:-1].replace("\\" + quote_char, quote_char)
    body = token[1:-1]
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        seq = match.group(1)
        if seq.startswith("u{"):
            code = _UNICODE.fullmatch(seq)
            if code is None:
                raise StringEscapeError(
                    f"invalid unicode escape '\\{seq}': write \\u{{XXXX}} with 1 to 8 hex digits",
                    match.start() + 1,
                )
            value = int(code.group(1), 16)
            if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                raise StringEscapeError(
                    f"'\\{seq}' is not a valid unicode code point", match.start() + 1
                )
            return chr(value)
        return ESCAPES.get(seq, "\\" + seq)

    return _ESCAPE.sub(replace, body)


_QUOTE = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(value: str) -> str:
    """``value`` as a ``"..."`` EQL string that :func:`unquote` reads back unchanged."""
    out = []
    for char in value:
        if char in _QUOTE:
            out.append(_QUOTE[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{{{ord(char):04x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'
