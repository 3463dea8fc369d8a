"""A fast lexer for the terminals of ``grammar.lark``, plugged into lark's LALR parser.

lark's basic lexer took about 40% of the parse time of the Elastic rules (8 us per token, against
about 6 us here, Token objects included). This one
compiles the grammar's own terminal definitions into one alternation, in lark's order (priority,
then longest pattern first), and scans with ``finditer``. Keywords are retyped from ``NAME`` by a
dict lookup, as lark does. The terminals stay defined in the grammar file only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark import Token
from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, PatternStr


class FastLexer(Lexer):
    """Scans the whole text with one compiled regex; yields lark :class:`Token` objects."""

    def __init__(self, lexer_conf: Any) -> None:
        terminals = list(lexer_conf.terminals)
        ignore = set(lexer_conf.ignore)
        name = next(t for t in terminals if t.name == "NAME")
        name_re = re.compile(name.pattern.to_regexp())
        #: String terminals that are words (``and``, ``where``): lexed as NAME, then retyped.
        self.keywords: dict[str, str] = {}
        scanned = []
        for term in terminals:
            pattern = term.pattern
            if isinstance(pattern, PatternStr) and name_re.fullmatch(pattern.value):
                self.keywords[pattern.value] = term.name
            else:
                scanned.append(term)
        scanned.sort(
            key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name)
        )
        self.ignore = ignore
        self.regex = re.compile("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in scanned))

    def lex(self, text: str) -> Iterator[Token]:  # type: ignore[override]
        """Yield the tokens of ``text`` (lark's custom-lexer protocol, interface 0)."""
        return self.tokenize(text)

    def tokenize(self, text: str) -> Iterator[Token]:
        """Yield the tokens of ``text``; raise lark's ``UnexpectedCharacters`` on a bad one."""
        keywords = self.keywords
        ignore = self.ignore
        line, line_start = 1, 0  # tokens come in order: follow the line as we go
        pos = 0
        for found in self.regex.finditer(text):
            start = found.start()
            if start != pos:  # finditer skipped something no terminal matches
                break
            kind = found.lastgroup
            stop = found.end()
            value = text[start:stop]
            if kind == "SLASH" and text.startswith("/*", start):  # a comment that never ends
                break
            if kind not in ignore:
                if kind == "NAME":
                    kind = keywords.get(value, "NAME")
                token_line, column = line, start - line_start + 1
                if "\n" in value:
                    line += value.count("\n")
                    line_start = start + value.rindex("\n") + 1
                yield Token(
                    kind,  # type: ignore[arg-type]
                    value,
                    start_pos=start,
                    line=token_line,
                    column=column,
                    end_line=line,
                    end_column=stop - line_start + 1,
                    end_pos=stop,
                )
            elif "\n" in value:
                line += value.count("\n")
                line_start = start + value.rindex("\n") + 1
            pos = stop
        if pos < len(text):
            line = text.count("\n", 0, pos) + 1
            column = pos - (text.rfind("\n", 0, pos) + 1) + 1
            raise UnexpectedCharacters(text, pos, line, column)
