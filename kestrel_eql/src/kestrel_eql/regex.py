"""Lucene regular expressions (EQL ``regex``) translated to RE2 syntax, and checked with RE2.

Lucene's syntax (what Elasticsearch's ``regexp`` and EQL ``regex`` read) differs from RE2's:

* the pattern always matches the **whole** string and there are no anchors: ``^`` and ``$`` are
  ordinary characters (translated to ``\\^`` and ``\\$``); the runtime anchors the result;
* ``.`` matches any character, newlines included (we emit ``(?s)``);
* ``"..."`` quotes a literal string; ``\\X`` makes any character ``X`` literal, except the
  classes ``\\d \\D \\s \\S \\w \\W``;
* optional operators (Elasticsearch enables them all): ``@`` any string, ``#`` the empty language,
  ``<1-10>`` a number in a range (expanded to an alternation); ``&`` (intersection) and ``~``
  (complement) have no RE2 equivalent and are rejected;
* a repetition may follow a repetition (``.*?`` is "``.*``, optionally"): we group the inner one,
  ``(?:.*)?``, which matches the same strings (RE2 would read a lazy quantifier; same language);
* there are no groups with special meaning: ``(?=...)`` lookahead, ``(?<=...)`` lookbehind,
  ``(?i)`` flags and ``\\1`` backreferences are not Lucene, and RE2 cannot run lookaround or
  backreferences: we reject them with a clear message rather than read them literally. We do
  accept two Java habits common in converted Sigma rules: ``(?:...)`` as a plain group, and a
  leading ``(?i)`` (kept: RE2 reads it).

The output is plain RE2 syntax with no anchors, e.g. ``(?s)a.*b``; compile it with
``re2.fullmatch`` semantics (or wrap it in ``^(?:...)$``).
"""

from __future__ import annotations

import re2

_CLASS_ESCAPES = frozenset("dDsSwW")
_MAX_RANGE = 10_000


class RegexError(ValueError):
    """The pattern is not a valid Lucene regex, or RE2 cannot run it; ``offset`` points at it."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def _literal(char: str) -> str:
    if char.isalnum() or char == "_":
        return char
    return f"\\x{{{ord(char):x}}}"


class _Translator:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.uses_dot = False

    def error(self, message: str, offset: int | None = None) -> RegexError:
        return RegexError(message, self.pos if offset is None else offset)

    def peek(self) -> str | None:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else None

    def translate(self) -> str:
        prefix = ""
        if self.pattern.startswith("(?i)"):
            prefix, self.pos = "(?i)", 4
        out = prefix + self.alternation()
        if self.pos < len(self.pattern):
            raise self.error("unbalanced ')'")
        return out

    def alternation(self) -> str:
        branches = [self.concatenation()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.concatenation())
        return "|".join(branches)

    def concatenation(self) -> str:
        pieces: list[str] = []
        while (char := self.peek()) is not None and char not in "|)":
            if char == "&":
                raise self.error("'&' (intersection) cannot be expressed in RE2; escape it: \\&")
            if char == "~":
                raise self.error("'~' (complement) cannot be expressed in RE2; escape it: \\~")
            pieces.append(self.repeat(self.atom()))
        return "".join(pieces)

    def repeat(self, atom: str) -> str:
        quantified = False
        while (char := self.peek()) is not None and char in "*+?{":
            start = self.pos
            if char == "{":
                end = self.pattern.find("}", self.pos)
                body = self.pattern[self.pos + 1 : end] if end > 0 else ""
                low, _, high = body.partition(",")
                if end < 0 or not low.isdigit() or (high and not high.isdigit()):
                    raise self.error("a repetition is written {n}, {n,} or {n,m}", start)
                if high and int(high) < int(low):
                    raise self.error(f"bad repetition {{{body}}}: {high} < {low}", start)
                op = "{" + body + "}"
                self.pos = end + 1
            else:
                op = char
                self.pos += 1
            atom = f"(?:{atom}){op}" if quantified else atom + op
            quantified = True
        return atom

    def atom(self) -> str:
        start = self.pos
        char = self.pattern[self.pos]
        self.pos += 1
        if char == "(":
            if self.peek() == "?":
                self.special_group(start)
            inner = self.alternation()
            if self.peek() != ")":
                raise self.error("missing ')'", start)
            self.pos += 1
            return f"(?:{inner})"
        if char == "[":
            return self.char_class(start)
        if char == '"':
            end = self.pattern.find('"', self.pos)
            if end < 0:
                raise self.error("unterminated quoted string '\"'", start)
            text = self.pattern[self.pos : end]
            self.pos = end + 1
            return f"(?:{''.join(_literal(c) for c in text)})" if text else "(?:)"
        if char == "\\":
            return self.escape(start, in_class=False)
        if char == ".":
            self.uses_dot = True
            return "."
        if char == "@":
            self.uses_dot = True
            return "(?:.*)"
        if char == "#":
            return "[^\\x{0}-\\x{10ffff}]"
        if char == "<":
            return self.interval(start)
        if char in "*+?{":
            raise self.error(f"'{char}' has nothing to repeat", start)
        if char in "]}":
            raise self.error(f"unbalanced '{char}'", start)
        return _literal(char)

    def special_group(self, start: int) -> None:
        """``(?:`` is accepted (Java habit, same meaning); lookaround and flags are not."""
        rest = self.pattern[self.pos + 1 : self.pos + 3]
        if rest.startswith(":"):
            self.pos += 2
            return
        if rest[:1] in ("=", "!"):
            what = "lookahead"
        elif rest in ("<=", "<!"):
            what = "lookbehind"
        else:
            raise self.error(
                "inline flags such as (?i) are not Lucene regex syntax; use regex~ to ignore case",
                start,
            )
        raise self.error(f"{what} is not Lucene regex syntax and RE2 cannot run it", start)

    def escape(self, start: int, *, in_class: bool) -> str:
        char = self.peek()
        if char is None:
            raise self.error("the pattern ends with a lone '\\'", start)
        self.pos += 1
        if char in _CLASS_ESCAPES:
            return "\\" + char
        if char.isdigit() and not in_class:
            raise self.error(
                f"'\\{char}' looks like a backreference; Lucene regex has none and RE2 cannot "
                f"match them (write [{char}] for the digit)",
                start,
            )
        return _literal(char)

    def char_class(self, start: int) -> str:
        out = "["
        if self.peek() == "^":
            out += "^"
            self.pos += 1
        first = True
        while True:
            char = self.peek()
            if char is None:
                raise self.error("missing ']'", start)
            if char == "]" and not first:
                self.pos += 1
                return out + "]"
            first = False
            self.pos += 1
            if char == "\\":
                out += self.escape(self.pos - 1, in_class=True)
            elif char == "-" and out[-1] not in "[^" and self.peek() not in (None, "]"):
                out += "-"
            else:
                out += _literal(char)

    def interval(self, start: int) -> str:
        end = self.pattern.find(">", self.pos)
        body = self.pattern[self.pos : end] if end > 0 else ""
        low, sep, high = body.partition("-")
        if end < 0 or not sep or not low.isdigit() or not high.isdigit():
            raise self.error("a numeric interval is written <min-max>, e.g. <1-10>", start)
        self.pos = end + 1
        a, b = sorted((int(low), int(high)))
        if b - a > _MAX_RANGE:
            raise self.error(f"numeric interval <{body}> is too wide (over {_MAX_RANGE})", start)
        width = len(low) if len(low) == len(high) and low.startswith("0") else 0
        return "(?:" + "|".join(str(n).zfill(width) for n in range(a, b + 1)) + ")"


def translate(pattern: str) -> str:
    """The RE2 form of a Lucene ``pattern``; raises :class:`RegexError` if it is invalid."""
    translator = _Translator(pattern)
    body = translator.translate()
    out = f"(?s){body}" if translator.uses_dot else body
    try:
        re2.compile(out)
    except re2.error as exc:
        raise RegexError(f"RE2 cannot compile it: {exc}", 0) from None
    return out
