"""Wildcard and regular-expression patterns compiled to the cheapest check.

A wildcard pattern (``*`` any run, ``?`` one character) becomes, in order of preference, an exact
comparison, a prefix, suffix or substring test, a prefix-and-suffix test, or else an anchored RE2
regular expression. There are no escapes: a backslash is a literal character, as in
Elasticsearch EQL (``C:\\Windows\\*`` is a prefix test).

Case-insensitive wildcards compare lowercased text with the lowercased pattern, so the caller
lowers the value and :func:`plan_match` lowers the pattern. Case-insensitive regular expressions
(``regex~``) are compiled with RE2's case folding and matched against the lowercased value.

All regular expressions are RE2 (linear time), matched against the whole string (``.`` matches a
newline too, as in Lucene). The public ``re2`` wrapper costs about 12 us a call in Python, so
matchers call the compiled program directly (about 1.5 us).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

import ahocorasick
import attrs
import re2
from re2 import _re2

from kestrel_core.errors import CompileError

STAR = "\x00*"  # sentinel parts of a parsed wildcard (never produced by parsing literal text)
ONE = "\x00?"

#: Alternations with more patterns than this get a larger RE2 memory budget.
BIG_ALTERNATION = 50
#: Above this many substring literals a Match uses one Aho-Corasick automaton instead of ``in``.
CONTAINS_AUTOMATON = 6


def parse_wildcard(pattern: str) -> list[str]:
    """Split a wildcard into literal chunks and the :data:`STAR` / :data:`ONE` sentinels.

    Consecutive stars collapse to one; adjacent literal characters merge into one chunk. There
    are no escapes: a backslash is a literal character, as in Elasticsearch EQL.
    """
    parts: list[str] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            parts.append("".join(literal))
            literal.clear()

    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            flush()
            if not parts or parts[-1] != STAR:
                parts.append(STAR)
        elif c == "?":
            flush()
            parts.append(ONE)
        else:
            literal.append(c)
        i += 1
    flush()
    return parts


def literal_of(pattern: str) -> str | None:
    """The text a wildcard matches exactly, or ``None`` when it has a wildcard."""
    parts = parse_wildcard(pattern)
    if not parts:
        return ""
    if len(parts) == 1 and parts[0] not in (STAR, ONE):
        return parts[0]
    return None


def required_literal(pattern: str) -> str:
    """The longest literal chunk every match of the wildcard contains (``""`` if none)."""
    chunks = [p for p in parse_wildcard(pattern) if p not in (STAR, ONE)]
    return max(chunks, key=len, default="")


def wildcard_to_re2(pattern: str) -> str:
    """The RE2 regular expression (to be fully matched, with ``dot_nl``) of a wildcard."""
    out = []
    for part in parse_wildcard(pattern):
        if part == STAR:
            out.append(".*")
        elif part == ONE:
            out.append(".")
        else:
            out.append(re2.escape(part))
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Compiled checks


def _options(case_insensitive: bool, big: bool) -> re2.Options:
    options = re2.Options()
    options.dot_nl = True
    options.never_capture = True
    options.log_errors = False
    options.case_sensitive = not case_insensitive
    if big:
        options.max_mem = 1 << 30
    return options


def check_regex(pattern: str, case_insensitive: bool = False) -> None:
    """Raise :class:`CompileError` naming ``pattern`` when RE2 rejects it."""
    program = _re2.RE2(pattern.encode("utf-8", "surrogatepass"), _options(case_insensitive, False))
    if not program.ok():
        raise CompileError(
            f"regular expression {pattern!r} is not supported (RE2: {program.error()})"
        )


@lru_cache(maxsize=4096)
def compile_regex(pattern: str, case_insensitive: bool = False) -> Callable[[str], bool]:
    """A function ``str -> bool`` that is true when ``pattern`` matches the whole string."""
    big = pattern.count("|") >= BIG_ALTERNATION
    program = _re2.RE2(pattern.encode("utf-8", "surrogatepass"), _options(case_insensitive, big))
    if not program.ok():
        raise CompileError(
            f"regular expression {pattern!r} is not supported (RE2: {program.error()})"
        )
    match = program.Match
    both = _re2.RE2.Anchor.ANCHOR_BOTH

    def fullmatch(text: str) -> bool:
        data = text.encode("utf-8", "surrogatepass")
        return match(both, data, 0, len(data))[0][0] >= 0

    fullmatch.pattern = pattern  # type: ignore[attr-defined]
    return fullmatch


@lru_cache(maxsize=1024)
def contains_any(literals: tuple[str, ...]) -> Callable[[str], bool]:
    """A function ``str -> bool`` that is true when the string contains any of ``literals``."""
    automaton = ahocorasick.Automaton()
    for literal in literals:
        automaton.add_word(literal, literal)
    automaton.make_automaton()
    search = automaton.iter

    def contains(text: str) -> bool:
        return next(search(text), None) is not None

    return contains


# ---------------------------------------------------------------------------------------------
# Plans: what a Match node compiles to


@attrs.frozen
class MatchPlan:
    """The checks a string must pass (any of them) for a ``Match`` to be true.

    ``exact``: equal to one of these; ``prefixes`` / ``suffixes`` / ``contains``: starts with,
    ends with, contains one of these; ``affixes``: (prefix, suffix) pairs that must both hold
    without overlapping; ``regex``: one combined RE2 expression to match fully (``regex_ci``:
    compiled case-insensitively); ``any_string``: every string matches (the pattern ``*``);
    ``globs``: wildcards matched by :func:`glob_match` (planned so only for the native
    evaluator, which matches them without a call into Python).
    """

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    affixes: tuple[tuple[str, str], ...] = ()
    regex: str | None = None
    regex_ci: bool = False
    any_string: bool = False
    globs: tuple[str, ...] = ()

    def check(self, text: str) -> bool:
        """Evaluate the plan on one string (used for lists and by tests)."""
        if self.any_string or text in self.exact:
            return True
        if self.prefixes and text.startswith(self.prefixes):
            return True
        if self.suffixes and text.endswith(self.suffixes):
            return True
        if any(c in text for c in self.contains):
            return True
        for pre, suf in self.affixes:
            if len(text) >= len(pre) + len(suf) and text.startswith(pre) and text.endswith(suf):
                return True
        if any(glob_match(text, g) for g in self.globs):
            return True
        return self.regex is not None and compile_regex(self.regex, self.regex_ci)(text)


def glob_match(text: str, pattern: str) -> bool:
    """Whether the wildcard ``pattern`` (``*`` any run, ``?`` one character, no escapes)
    matches all of ``text``: the greedy two-pointer match, at most len(text) * len(pattern)
    steps (the twin of ``glob_match`` in ``kestrel_core/_speedups.c``)."""
    t = p = 0
    star, mark = -1, 0
    n, m = len(text), len(pattern)
    while t < n:
        if p < m:
            c = pattern[p]
            if c == "*":
                star, mark = p, t
                p += 1
                continue
            if c == "?" or c == text[t]:
                p += 1
                t += 1
                continue
        if star < 0:
            return False
        p = star + 1  # let the last star take one more character
        mark += 1
        t = mark
    while p < m and pattern[p] == "*":
        p += 1
    return p == m


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def plan_match(
    kind: str, patterns: Iterable[str], case_insensitive: bool, globs: bool = False
) -> MatchPlan:
    """Plan the cheapest checks for ``Match(kind, _, patterns, case_insensitive)``; with
    ``globs``, wildcards of no simpler shape are :attr:`MatchPlan.globs` instead of RE2.

    Raises :class:`CompileError` naming the pattern when RE2 rejects a regular expression.
    """
    patterns = list(patterns)
    if kind == "regex":
        for p in patterns:
            check_regex(p, case_insensitive)
        joined = "|".join(f"(?:{p})" for p in dict.fromkeys(patterns))
        if not patterns:
            return MatchPlan()
        compile_regex(joined, case_insensitive)
        return MatchPlan(regex=joined, regex_ci=case_insensitive)
    if kind != "wildcard":
        raise CompileError(f"unknown match kind {kind!r}")
    exact: list[str] = []
    prefixes: list[str] = []
    suffixes: list[str] = []
    contains: list[str] = []
    affixes: list[tuple[str, str]] = []
    regexes: list[str] = []
    complex_globs: list[str] = []
    for raw in patterns:
        pattern = raw.lower() if case_insensitive else raw
        parts = parse_wildcard(pattern)
        shape = tuple(p if p in (STAR, ONE) else "L" for p in parts)
        if globs and (ONE in parts or len(shape) > 3):
            complex_globs.append(pattern)
        elif ONE in parts:
            regexes.append(wildcard_to_re2(pattern))
        elif shape in ((), ("L",)):
            exact.append(parts[0] if parts else "")
        elif shape == (STAR,):
            return MatchPlan(any_string=True)
        elif shape == ("L", STAR):
            prefixes.append(parts[0])
        elif shape == (STAR, "L"):
            suffixes.append(parts[1])
        elif shape == (STAR, "L", STAR):
            contains.append(parts[1])
        elif shape == ("L", STAR, "L"):
            affixes.append((parts[0], parts[2]))
        else:
            regexes.append(wildcard_to_re2(pattern))
    regex = "|".join(f"(?:{r})" for r in dict.fromkeys(regexes)) if regexes else None
    if regex is not None:
        compile_regex(regex, False)
    return MatchPlan(
        exact=frozenset(exact),
        prefixes=_dedupe(prefixes),
        suffixes=_dedupe(suffixes),
        contains=_dedupe(contains),
        affixes=tuple(dict.fromkeys(affixes)),
        regex=regex,
        globs=_dedupe(complex_globs),
    )
