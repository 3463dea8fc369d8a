"""Malformed or ill-typed queries: each error's line, column and a fragment of its message."""

from __future__ import annotations

import pytest

from kestrel_eql import (
    EqlSemanticError,
    EqlSyntaxError,
    EqlUnsupportedError,
    compile_query,
    parse,
)

SYNTAX, SEMANTIC, UNSUPPORTED = EqlSyntaxError, EqlSemanticError, EqlUnsupportedError

# (query, error class, line, column, message fragment)
CASES = [
    # tokens and values
    ('process where a == and b == 1', SYNTAX, 1, 20, "expected a value after '==' but found 'and'"),
    ("process where", SYNTAX, 1, 14, "expected a condition after 'where' but found the end"),
    ("process where a ==", SYNTAX, 1, 19, "expected a value after '=='"),
    ("process where a = 1", SYNTAX, 1, 17, "'=' does not compare; write '=='"),
    ("process where a == 1 AND b == 2", SYNTAX, 1, 22, "keywords are lowercase in EQL, write 'and'"),
    ("process where a == 1 b", SYNTAX, 1, 22, "but found 'b'"),
    ("process where a < b < c", SYNTAX, 1, 21, "comparisons do not chain"),
    ("process where x == 'a'", SYNTAX, 1, 20, "double quotes, not single quotes"),
    ('process where x == "abc', SYNTAX, 1, 20, "unterminated string"),
    ("process where `abc == 1", SYNTAX, 1, 15, "unterminated name"),
    ("process where a == 1 /* never closed", SYNTAX, 1, 22, "unterminated comment"),
    ("process where a && b", SYNTAX, 1, 17, "write 'and'"),
    ("process where a ! b", SYNTAX, 1, 17, "write '!=' to compare"),
    ("process where a == #", SYNTAX, 1, 20, "unexpected character '#'"),
    ("process where sequence == 1", SYNTAX, 1, 15, "write `sequence` in backquotes"),
    ("process where (a == 1", SYNTAX, 1, 22, "expected ')' after '1'"),
    ("process where a in (1, 2", SYNTAX, 1, 25, "expected ',' or ')'"),
    ("process where a in 1", SYNTAX, 1, 20, "expected '('"),
    ("process where f(a,)", SYNTAX, 1, 18, "expected a value after ','"),
    ("process where a : b", SYNTAX, 1, 19, "but found 'b'"),
    ("process where a like (b)", SYNTAX, 1, 23, "but found 'b'"),
    ('process where "\\u{zz}" == a', SYNTAX, 1, 16, "invalid unicode escape"),
    ('process where "\\u{110000}" == a', SYNTAX, 1, 16, "not a valid unicode code point"),
    ("where a == 1", SYNTAX, 1, 1, "but found 'where'"),
    ("process a == 1", SYNTAX, 1, 9, "expected 'where'"),
    ("", SYNTAX, 1, 1, "the query is empty"),
    ("   \n ", SYNTAX, 1, 1, "the query is empty"),
    ("process where true |", SYNTAX, 1, 21, "after '|' but found the end of the query"),
    ("process where true | head 1 2", SYNTAX, 1, 29, "but found '2'"),
    # sequences and samples: syntax
    ("sequence [a where true]\n  [b where x ==]", SYNTAX, 2, 16, "expected a value after '=='"),
    ("sequence with maxspan=1s by k [a where true] [b where true]", SYNTAX, 1, 26,
     "write 'by' before 'with maxspan'"),
    ("sequence [a where true] with run=2 [b where true]", SYNTAX, 1, 30, "expected 'runs'"),
    ("sequence [a where true] with runs=1.5 [b where true]", SYNTAX, 1, 35, "whole number"),
    ("sequence [a where true] is x [b where true]", SYNTAX, 1, 25, "expected 'by', 'with', 'as'"),
    ("sequence by [a where true]", SYNTAX, 1, 13, "expected a value after 'by'"),
    ("sequence", SYNTAX, 1, 9, "but found the end of the query"),
    ("sequence [a where true] ! [b where true]", SYNTAX, 1, 25, "'![' for a missing event"),
    ("sample with maxspan=1s [a where true] [b where true]", SYNTAX, 1, 8, "but found 'with'"),
    # sequences and samples: semantics
    ("sequence [a where true]", SEMANTIC, 1, 10, "a sequence needs at least 2 steps, found 1"),
    ("sequence [a where true] [b where true] with runs=0", SEMANTIC, 1, 25,
     "'with runs' must be between 1 and 100"),
    ("sequence [a where true] with runs=101 [b where true]", SEMANTIC, 1, 10, "found 101"),
    ("sequence [a where true] by x [b where true]", SEMANTIC, 1, 30,
     "same number of 'by' keys: expected 1 but found 0"),
    ("sequence by k [a where true] by x, y [b where true] by z", SEMANTIC, 1, 56,
     "expected 2 but found 1"),
    ("sequence [a where true] [b where true] ![c where true]", SEMANTIC, 1, 40,
     "needs 'with maxspan=...'"),
    ("sequence with maxspan=1s ![a where true] ![b where true]", SEMANTIC, 1, 1,
     "at least one step that is not a missing event"),
    ("sequence [a where true] [b where true] until ![c where true]", SEMANTIC, 1, 46,
     "an 'until' step cannot be a missing event"),
    ("sequence with maxspan=5 [a where true] [b where true]", SEMANTIC, 1, 23,
     "maxspan needs a time unit: did you mean 5s?"),
    ("sequence with maxspan=5y [a where true] [b where true]", SEMANTIC, 1, 23,
     "unknown time unit 'y'"),
    ("sequence with maxspan=1.5m [a where true] [b where true]", SEMANTIC, 1, 23,
     "maxspan takes a whole number"),
    ("sequence with maxspan=0s [a where true] [b where true]", SEMANTIC, 1, 23,
     "maxspan must be positive"),
    ("sample by h [a where true]", SEMANTIC, 1, 13, "a sample needs at least 2 steps"),
    ("sample by h [a where true] with runs=2 [b where true]", SEMANTIC, 1, 13,
     "'with runs' is for sequences"),
    ("sample by h [a where true] ![b where true]", SEMANTIC, 1, 28,
     "a sample cannot have a missing event"),
    # pipes
    ("process where true | head", SEMANTIC, 1, 20, "takes exactly one number"),
    ("process where true | head -1", SEMANTIC, 1, 27, "a whole number >= 0"),
    ('process where true | tail "x"', SEMANTIC, 1, 27, "a whole number >= 0"),
    ("process where true | count", UNSUPPORTED, 1, 20, "pipe 'count' is not supported"),
    # functions
    ('process where startswith(a)', SEMANTIC, 1, 15, "'startsWith' takes 2 arguments, found 1"),
    ('process where substring(a, 1, 2, 3)', SEMANTIC, 1, 15, "takes 2 to 3 arguments"),
    ('process where concat()', SEMANTIC, 1, 15, "takes at least 1 arguments"),
    ('process where startsWith(a, 5)', SEMANTIC, 1, 29,
     "argument 2 of 'startsWith' must be a string, found the number 5"),
    ('process where length(1 + 2)', SEMANTIC, 1, 22, "must be a string, found a number"),
    ('process where add(a, "x") == 1', SEMANTIC, 1, 22, "must be a number"),
    ('process where startwith(a, "b")', SEMANTIC, 1, 15, "did you mean 'startsWith'?"),
    ('process where frobnicate(a)', SEMANTIC, 1, 15, "unknown function 'frobnicate': known"),
    ('process where length~(a) > 1', SEMANTIC, 1, 15, "no case-insensitive form"),
    ('process where wildcard(a, b)', SEMANTIC, 1, 27, "must be string constants"),
    # patterns and regexes
    ('process where a like 5', SEMANTIC, 1, 22, "'like' matches strings"),
    ('process where a regex~ null', SEMANTIC, 1, 24, "'regex~' matches strings"),
    ('process where a regex "(a"', SEMANTIC, 1, 23, "missing ')'"),
    ('process where a regex "a\\\\1"', SEMANTIC, 1, 23, "backreference"),
    ('process where a regex "(?=x)y"', SEMANTIC, 1, 23, "lookahead"),
    ('process where a regex "(?<!x)y"', SEMANTIC, 1, 23, "lookbehind"),
    ('process where a regex "a&b"', SEMANTIC, 1, 23, "intersection"),
    ('process where a regex ("ok", "*x")', SEMANTIC, 1, 30, "'*' has nothing to repeat"),
    ('process where a regex "x{3,1}"', SEMANTIC, 1, 23, "bad repetition"),
    ('process where match(a, "[z-a]")', SEMANTIC, 1, 24, "RE2 cannot compile"),
    # ordering a string against a number
    ('process where "a" < 1', SEMANTIC, 1, 15, "cannot order the string 'a' and the number 1"),
    ('process where 2 >= "b"', SEMANTIC, 1, 15, "cannot order"),
    # @timestamp constants
    ('process where @timestamp == "yesterday"', SEMANTIC, 1, 29, "not an ISO-8601 timestamp"),
    ('process where @timestamp > "2017-13-01"', SEMANTIC, 1, 28, "not a valid date"),
    # lineage and array functions
    ('process where parent of [process where true]', SEMANTIC, 1, 15, "unknown process relation"),
    ('process where Descendant of [process where true]', SEMANTIC, 1, 15, "'Descendant of'"),
    ('process where $e.x == 1', SEMANTIC, 1, 15, "unknown variable '$e'"),
    ('process where _arraysearch(a, $e.x, $e.x == 1)', SEMANTIC, 1, 31, "element variable"),
    ('process where _arraysearch(a, $e, $f.x == 1)', SEMANTIC, 1, 35, "unknown variable '$f'"),
    # constructs Kestrel does not run, and Endgame constructs in the Elasticsearch dialect
    ('sequence [a where true] as e0 [b where true]', UNSUPPORTED, 1, 10, "step aliases"),
    ('join [a where true] [b where true]', UNSUPPORTED, 1, 1, "'join' is Endgame EQL"),
    ('a where true | count', UNSUPPORTED, 1, 14, "an Endgame pipe"),
    ('a where arrayContains(x, 1)', UNSUPPORTED, 1, 9, "Endgame dialect"),
    ("a where x == ?'y'", SYNTAX, 1, 14, "Endgame EQL"),
    ('a where x in ("y",)', SYNTAX, 1, 18, "Endgame EQL"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "kind", "line", "column", "fragment"), CASES, ids=[c[0] or "empty" for c in CASES]
)
def test_error(text: str, kind: type, line: int, column: int, fragment: str) -> None:
    with pytest.raises(kind) as info:
        compile_query(text)
    error = info.value
    assert error.location is not None
    assert (error.location.line, error.location.column) == (line, column), str(error)
    assert fragment in error.message, str(error)


#: Errors of the Endgame dialect.
ENDGAME_CASES = [
    ('a where true | unique', SEMANTIC, 1, 14, "at least 1"),
    ('a where true | filter', SEMANTIC, 1, 14, "'| filter' takes 1"),
    ('a where match(x, "(?<=a)b")', SEMANTIC, 1, 18, "RE2 cannot run"),
    ('join [a where true]', SEMANTIC, 1, 1, "at least 2 steps"),
    ('join [a where true] ![b where true]', SEMANTIC, 1, 21, "cannot be a missing event"),
    ('a where arraySearch(x, y.z, true)', SEMANTIC, 1, 24, "element variable"),
    ('a where unknown(x)', SEMANTIC, 1, 9, "unknown function 'unknown'"),
    ('a where x of [b where true]', SEMANTIC, 1, 9, "unknown process relation"),
    ('sequence [a where true] as e [b where true]', UNSUPPORTED, 1, 10, "step aliases"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "kind", "line", "column", "fragment"), ENDGAME_CASES, ids=[c[0] for c in ENDGAME_CASES]
)
def test_endgame_error(text: str, kind: type, line: int, column: int, fragment: str) -> None:
    with pytest.raises(kind) as info:
        compile_query(text, dialect="endgame")
    error = info.value
    assert error.location is not None
    assert (error.location.line, error.location.column) == (line, column), str(error)
    assert fragment in error.message, str(error)


def test_there_are_many_cases() -> None:
    assert len(CASES) >= 50


def test_error_text_has_location_and_caret() -> None:
    with pytest.raises(EqlSyntaxError) as info:
        parse("process where process.name == and x", source="rule.eql")
    assert str(info.value) == (
        "rule.eql:1:31: expected a value after '==' but found 'and'\n"
        "process where process.name == and x\n"
        "                              ^^^"
    )


def test_unsupported_errors_name_their_construct() -> None:
    with pytest.raises(EqlUnsupportedError) as info:
        compile_query("sequence [a where true] as e0 [b where true]")
    assert info.value.construct == "step alias (as)"


def test_errors_are_rule_errors() -> None:
    from kestrel_core.errors import EXIT_USAGE, RuleError

    with pytest.raises(RuleError) as info:
        compile_query("process where")
    assert info.value.exit_code == EXIT_USAGE


def test_dialects() -> None:
    assert compile_query("a where true", dialect="Elasticsearch") == compile_query("a where true")
    assert compile_query("a where true", dialect="ENDGAME") == compile_query("a where true")
    with pytest.raises(EqlUnsupportedError) as info:
        compile_query("a where true", dialect="splunk")
    assert info.value.construct == "dialect splunk"
    assert "known dialects: elasticsearch, endgame" in info.value.message
