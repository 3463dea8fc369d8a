"""Tables for the small pieces: string escapes, Lucene -> RE2 regexes, timestamps, folding."""

from __future__ import annotations

import pytest
import re2

from kestrel_eql.fold import arithmetic
from kestrel_eql.regex import RegexError, translate
from kestrel_eql.strings import quote, unquote
from kestrel_eql.timestamps import timestamp_ns

UNQUOTE = [
    ('"plain"', "plain"),
    ('"a\\nb\\rc\\td"', "a\nb\rc\td"),
    ('"q\\"q"', 'q"q'),
    ('"back\\\\slash"', "back\\slash"),
    ('"\\u{41}\\u{1F600}\\u{0000200f}"', "A\U0001f600\u200f"),
    ('"keep \\. and \\/"', "keep \\. and \\/"),
    ('"C:\\\\Windows\\\\*"', "C:\\Windows\\*"),
    ('"""raw \\n "quote" \\\\"""', 'raw \\n "quote" \\\\'),
    ('"""ends in a quote""""', 'ends in a quote"'),
    ('"""two"""""', 'two""'),
    ('""""""', ""),
]


@pytest.mark.parametrize(("token", "value"), UNQUOTE)
def test_unquote(token: str, value: str) -> None:
    assert unquote(token) == value


@pytest.mark.parametrize("value", ["", 'a"b', "\\", "\n\t\r", "\x00\x1f\x7f", "é€😀"])
def test_quote_round_trips(value: str) -> None:
    assert unquote(quote(value)) == value


# Lucene pattern -> RE2 pattern
REGEX = [
    ("abc", "abc"),
    ("a.c", "(?s)a.c"),
    (".*?net1[ ]+user.*?", "(?s)(?:.*)?net1[\\x{20}]+user(?:.*)?"),
    ("^a$", "\\x{5e}a\\x{24}"),
    ("a|b", "a|b"),
    ("(ab)+", "(?:ab)+"),
    ("(?:ab)+", "(?:ab)+"),
    ("a{2,}", "a{2,}"),
    ("[a-z0-9_]", "[a-z0-9_]"),
    ("[^\\]x]", "[^\\x{5d}x]"),
    ("\\d+\\s\\w", "\\d+\\s\\w"),
    ("\\.", "\\x{2e}"),
    ('"a.b"', "(?:a\\x{2e}b)"),
    ("a@", "(?s)a(?:.*)"),
    ("<1-3>", "(?:1|2|3)"),
    ("<08-10>", "(?:08|09|10)"),
    ("#", "[^\\x{0}-\\x{10ffff}]"),
    ("(?i)abc", "(?i)abc"),
]


@pytest.mark.parametrize(("lucene", "re2_pattern"), REGEX)
def test_regex_translation(lucene: str, re2_pattern: str) -> None:
    assert translate(lucene) == re2_pattern
    re2.compile(re2_pattern)


REGEX_ERRORS = [
    ("(a", 0, "missing ')'"),
    ("a)", 1, "unbalanced ')'"),
    ("[abc", 0, "missing ']'"),
    ("+a", 0, "nothing to repeat"),
    ("a{x}", 1, "{n}, {n,} or {n,m}"),
    ("\\1", 0, "backreference"),
    ("(?=a)", 0, "lookahead"),
    ("(?<=a)", 0, "lookbehind"),
    ("a(?i)", 1, "inline flags"),
    ("a&b", 1, "intersection"),
    ("~a", 0, "complement"),
    ('"abc', 0, "unterminated quoted string"),
    ("<1-100000>", 0, "too wide"),
    ("a\\", 1, "lone '\\'"),
]


@pytest.mark.parametrize(("lucene", "offset", "fragment"), REGEX_ERRORS)
def test_regex_errors(lucene: str, offset: int, fragment: str) -> None:
    with pytest.raises(RegexError) as info:
        translate(lucene)
    assert info.value.offset == offset
    assert fragment in str(info.value)


MATCHES = [
    (".*?net1[ ]+user.*?", "x net1  user y", True),
    (".*?net1[ ]+user.*?", "net1user", False),
    ("a.c", "a\nc", True),
    ("^a", "^a", True),
    ("^a", "a", False),
    ('"a.b"c', "a.bc", True),
    ('"a.b"c', "axbc", False),
    ("<1-12>", "12", True),
    ("<1-12>", "13", False),
]


@pytest.mark.parametrize(("lucene", "value", "matches"), MATCHES)
def test_translated_regex_matches_the_whole_string(lucene: str, value: str, matches: bool) -> None:
    assert bool(re2.fullmatch(translate(lucene), value)) is matches


TIMESTAMPS = [
    (0, 0),
    (1516116808349, 1516116808349000000),
    (1.5, 1500000),
    ("1516116808349", 1516116808349000000),
    ("1970-01-01", 0),
    ("1970-01-01T00:00:01Z", 1_000_000_000),
    ("1970-01-01T00:00:00.000000001Z", 1),
    ("1970-01-01T00:00:00.5", 500_000_000),
    ("1970-01-01T01:00:00+01:00", 0),
    ("1970-01-01T00:00:00-0130", 5_400_000_000_000),
    ("2017-08-30T20:47:33Z", 1504126053000000000),
    ("1974-03-03T02:22:54.294365140Z", 131509374294365140),
]


@pytest.mark.parametrize(("value", "ns"), TIMESTAMPS)
def test_timestamp_ns(value: object, ns: int) -> None:
    assert timestamp_ns(value) == ns


@pytest.mark.parametrize("value", ["now", "2017-02-30x", "2017-13-01", True, None, "12:00"])
def test_bad_timestamps(value: object) -> None:
    with pytest.raises(ValueError):
        timestamp_ns(value)


ARITHMETIC = [
    ("+", 1, 2, 3),
    ("-", 1, 2.5, -1.5),
    ("*", 3, 4, 12),
    ("/", 7, 2, 3),
    ("/", -7, 2, -3),
    ("/", 7.0, 2, 3.5),
    ("%", 7, 3, 1),
    ("%", -7, 3, -1),
    ("%", 7, -3, 1),
    ("/", 1, 0, None),
    ("%", 1, 0, None),
    ("+", 1, None, None),
    ("+", "a", 1, None),
    ("+", True, 1, None),
]


@pytest.mark.parametrize(("op", "left", "right", "result"), ARITHMETIC)
def test_arithmetic(op: str, left: object, right: object, result: object) -> None:
    assert arithmetic(op, left, right) == result
