"""Wildcards and regular expressions: parsing, the cheapest check, RE2 errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kestrel_core.errors import CompileError
from kestrel_core.runtime.patterns import (
    ONE,
    STAR,
    MatchPlan,
    compile_regex,
    contains_any,
    glob_match,
    literal_of,
    parse_wildcard,
    plan_match,
    required_literal,
    wildcard_to_re2,
)


@pytest.mark.parametrize(("pattern", "parts"), [
    ("abc", ["abc"]), ("a*b", ["a", STAR, "b"]), ("**a", [STAR, "a"]), ("a?", ["a", ONE]),
    ("a\\*b", ["a\\", STAR, "b"]), ("a\\?", ["a\\", ONE]), ("a\\\\*", ["a\\\\", STAR]),
    ("C:\\Win\\x", ["C:\\Win\\x"]),
    ("", []), ("\\", ["\\"]), ("*", [STAR]),
])
def test_parse_wildcard(pattern: str, parts: list[str]) -> None:
    assert parse_wildcard(pattern) == parts


@pytest.mark.parametrize(("pattern", "literal", "required"), [
    ("abc", "abc", "abc"), ("a\\*c", None, "a\\"), ("*whoami*", None, "whoami"),
    ("ab*cdef?g", None, "cdef"), ("*", None, ""), ("", "", ""),
])
def test_literals(pattern: str, literal: str | None, required: str) -> None:
    assert literal_of(pattern) == literal
    assert required_literal(pattern) == required


@pytest.mark.parametrize(("patterns", "ci", "plan"), [
    (["abc"], False, MatchPlan(exact=frozenset({"abc"}))),
    (["ABC"], True, MatchPlan(exact=frozenset({"abc"}))),
    (["ab*"], False, MatchPlan(prefixes=("ab",))),
    (["*.exe", "*.dll"], False, MatchPlan(suffixes=(".exe", ".dll"))),
    (["*who*"], False, MatchPlan(contains=("who",))),
    (["C:*.exe"], False, MatchPlan(affixes=(("C:", ".exe"),))),
    (["*", "abc"], False, MatchPlan(any_string=True)),
    (["a?c"], False, MatchPlan(regex="(?:a.c)")),
    (["a*b*c"], False, MatchPlan(regex="(?:a.*b.*c)")),
])
def test_plan(patterns: list[str], ci: bool, plan: MatchPlan) -> None:
    assert plan_match("wildcard", patterns, ci) == plan


@pytest.mark.parametrize(("patterns", "text", "expected"), [
    (["a?c"], "abc", True), (["a?c"], "ac", False), (["a*b*c"], "a\nb\nc", True),
    (["a.c"], "abc", False), (["a+c"], "a+c", True), (["(x)"], "(x)", True), (["[ab]"], "[ab]", True),
    (["ä?ö"], "äxö", True), (["?"], "€", True), (["??"], "€", False),
])
def test_wildcard_plan_checks(patterns: list[str], text: str, expected: bool) -> None:
    assert plan_match("wildcard", patterns, False).check(text) is expected


def test_regex_is_anchored_and_dot_matches_newline() -> None:
    check = compile_regex("a.c")
    assert check("abc") and check("a\nc") and not check("xabc") and not check("abcx")
    assert compile_regex("abc", True)("ABC")


@pytest.mark.parametrize("bad", ["(a)\\1", "a(?=b)", "(unclosed", "a{2,1}"])
def test_regex_rejected_by_re2_names_the_pattern(bad: str) -> None:
    with pytest.raises(CompileError, match="regular expression") as info:
        plan_match("regex", ["ok", bad], False)
    assert repr(bad) in str(info.value)


def test_huge_alternation_compiles() -> None:
    words = [f"*\\tool{i:04d}.exe*" for i in range(1500)] + [f"x{i}?y" for i in range(1500)]
    plan = plan_match("wildcard", words, True)
    assert plan.check("c:\\tools\\tool1234.exe /q") and plan.check("x77zy")
    assert not plan.check("c:\\tool99999.ex")
    regex = plan_match("regex", [f"[a-z]+{i}" for i in range(2000)], False)
    assert regex.check("abc1999") and not regex.check("abc2000")


def test_contains_any() -> None:
    check = contains_any(("who", "net user", "ä"))
    assert check("c:\\whoami") and check("Ä ä") and not check("nothing")


GLOB_TEXT = st.text(alphabet="ab\\.\nÄ*?", max_size=12)
GLOB_PATTERN = st.text(alphabet="ab\\.Ä*?", max_size=8)


@settings(max_examples=1500, deadline=None)
@given(GLOB_TEXT, GLOB_PATTERN)
def test_glob_match_agrees_with_the_regular_expression(text: str, pattern: str) -> None:
    expected = compile_regex(wildcard_to_re2(pattern))(text)
    assert glob_match(text, pattern) is expected


@settings(max_examples=300, deadline=None)
@given(st.lists(GLOB_PATTERN, min_size=1, max_size=4), GLOB_TEXT, st.booleans())
def test_a_plan_with_globs_checks_as_the_plan_without(
    patterns: list[str], text: str, ci: bool
) -> None:
    with_globs = plan_match("wildcard", patterns, ci, globs=True)
    without = plan_match("wildcard", patterns, ci)
    assert with_globs.regex is None or without.any_string  # every complex wildcard is a glob
    subject = text.lower() if ci else text
    assert with_globs.check(subject) is without.check(subject)
