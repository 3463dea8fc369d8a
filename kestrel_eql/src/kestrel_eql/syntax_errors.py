"""Readable syntax errors: lark's unexpected token or character, said for a detection engineer.

``expected a value after '==' but found 'and'`` rather than a list of lark terminal names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import lark

from kestrel_core.errors import SourceLocation

if TYPE_CHECKING:
    from lark import Token

#: What a regex terminal stands for, in words.
_WORDS = {
    "NAME": "a name",
    "QUOTED_NAME": "a name",
    "TILDE_NAME": "a function name",
    "VARIABLE": "a name",
    "STRING": "a string",
    "RAW_STRING": "a string",
    "SINGLE_STRING": "a string",
    "ENDGAME_RAW_STRING": "a string",
    "INT": "a number",
    "FLOAT": "a number",
    "COMPARE_OP": "a comparison",
    "TRAILING_COMMA": "','",
    "INDEX": "'[N]'",
    "$END": "the end of the query",
}

#: Terminals that can start a value; when several are expected we just say "a value".
_VALUE_START = {
    "NAME", "QUOTED_NAME", "TILDE_NAME", "VARIABLE", "STRING", "RAW_STRING", "INT", "FLOAT",
    "SINGLE_STRING", "ENDGAME_RAW_STRING", "LPAR", "MINUS", "PLUS", "OPTIONAL", "TRUE", "FALSE",
    "NULL", "REGEX", "REGEX_TILDE",
}  # fmt: skip

#: Operators that may follow a value; when several are expected we just say "an operator".
_OPERATORS = {
    "AND", "OR", "COMPARE_OP", "PLUS", "MINUS", "STAR", "SLASH", "PERCENT", "COLON", "LIKE",
    "LIKE_TILDE", "REGEX", "REGEX_TILDE", "IN", "IN_TILDE", "NOT", "INDEX", "DOT", "OF",
}  # fmt: skip

#: Lowercase keywords, for the hint when one is written in capitals.
KEYWORDS = frozenset(
    [
        "and",
        "any",
        "by",
        "false",
        "in",
        "join",
        "like",
        "maxspan",
        "not",
        "null",
        "of",
        "or",
        "regex",
        "sample",
        "sequence",
        "true",
        "until",
        "where",
        "with",
    ]
)

#: Keywords someone may well mean as a field name.
_NAME_LIKE_KEYWORDS = frozenset(
    ["any", "by", "join", "maxspan", "of", "sample", "sequence", "until", "where", "with"]
)


def describe_lark_error(
    parser: lark.Lark, exc: lark.exceptions.UnexpectedInput, text: str, source: str | None
) -> tuple[str, SourceLocation]:
    """The message and location of a lark parse error."""
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        return _unexpected_character(exc, text, source)
    assert isinstance(exc, lark.exceptions.UnexpectedToken)
    token: Token = exc.token
    if token.type == "$END":
        line, column = _end_of(text)
        location = SourceLocation(line, column, text=text, file=source)
        found = "the end of the query"
    else:
        location = SourceLocation(
            token.line,  # type: ignore[arg-type]
            token.column,  # type: ignore[arg-type]
            text=text,
            file=source,
            end_column=token.end_column if token.end_line == token.line else None,
        )
        found = f"'{token}'"
    accepted = _accepted(exc)
    previous = _previous_token(parser, text, token)
    expected = _expected(parser, accepted, condition=previous in {"where", "and", "or", "not"})
    after = f" after '{previous}'" if previous is not None else ""
    message = f"expected {expected}{after} but found {found}"
    hint = _hint(token, accepted)
    return (f"{message}: {hint}" if hint else message), location


def _accepted(exc: lark.exceptions.UnexpectedToken) -> set[str]:
    """The terminals really acceptable here (an LALR state's lookahead set is wider)."""
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        try:
            return set(interactive.accepts())
        except Exception:
            pass
    return set(exc.expected)


def _expected(parser: lark.Lark, names: set[str], *, condition: bool) -> str:
    words: list[str] = []
    if names & {"NAME", "STRING", "INT"}:
        words.append("a condition" if condition else "a value")
        names = names - _VALUE_START - {"NOT"}
    if len(names & _OPERATORS) >= 3:
        words.append("an operator")
        names = names - _OPERATORS
    patterns = {t.name: t.pattern for t in parser.terminals}
    for name in sorted(names, key=lambda n: (n == "$END", n)):
        word = _WORDS.get(name)
        if word is None:
            pattern = patterns.get(name)
            word = f"'{pattern.value}'" if pattern is not None else name.lower()
        if word not in words:
            words.append(word)
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _hint(token: Token, expected: set[str]) -> str:
    value = str(token)
    if token.type == "NAME" and value.lower() in KEYWORDS:
        return f"keywords are lowercase in EQL, write '{value.lower()}'"
    if token.type == "COMPARE_OP" and "AND" in expected:
        return "comparisons do not chain; write 'a < b and b < c'"
    if token.type == "EQUAL":
        return "'=' does not compare; write '==' (or ':' to ignore case)"
    if value in _NAME_LIKE_KEYWORDS and "NAME" in expected:
        return f"'{value}' is a keyword; write `{value}` in backquotes to use it as a field name"
    return ""


def _unexpected_character(
    exc: lark.exceptions.UnexpectedCharacters, text: str, source: str | None
) -> tuple[str, SourceLocation]:
    char = exc.char
    location = SourceLocation(exc.line, exc.column, text=text, file=source)
    rest = text[exc.pos_in_stream :]
    if char == "'":
        message = "strings are written in double quotes, not single quotes"
    elif char == '"':
        message = "unterminated string: a string must close with '\"' on the same line"
    elif char == "`":
        message = "unterminated name: a backquoted name must close with '`'"
    elif rest.startswith("/*"):
        message = "unterminated comment: '/*' without '*/'"
    elif rest.startswith("&&"):
        message = "unexpected '&&': write 'and'"
    elif char == "!":
        message = "unexpected '!': write '!=' to compare, '![' for a missing event, or 'not'"
    else:
        message = f"unexpected character '{char}'"
    return message, location


def _previous_token(parser: lark.Lark, text: str, token: Token) -> str | None:
    """The token before ``token`` (lexing again: errors are rare, lark does not keep it)."""
    from kestrel_eql.lexer import FastLexer

    previous = None
    position = token.start_pos if token.type != "$END" else len(text)
    try:
        for tok in FastLexer(parser.lexer_conf).tokenize(text):
            if tok.start_pos is not None and position is not None and tok.start_pos >= position:
                break
            previous = tok
    except lark.exceptions.UnexpectedInput:
        pass
    return None if previous is None else str(previous)


def _end_of(text: str) -> tuple[int, int]:
    """Line and column just after the last non-blank character."""
    stripped = text.rstrip()
    lines = stripped.split("\n")
    return len(lines), len(lines[-1]) + 1
