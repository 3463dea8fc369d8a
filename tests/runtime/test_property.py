"""Property test: the generated code (with and without the index) agrees with the interpreter.

Random rule sets share categories, fields and literals (a tiny alphabet), so the equality index,
the Aho-Corasick prefilter, bucket sharing and the multi-valued paths are all exercised; events
have missing fields, nulls, lists, mixed types, nested and flat dotted keys.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kestrel_core import ir
from kestrel_core.runtime import interpreter
from kestrel_core.runtime.python import PythonRuntime
from kestrel_core.runtime.python.router import Router

from .conftest import VARIANTS, make_event, program_of, run_program_py

PATHS = [("a",), ("b",), ("s",), ("process", "name"), ("process", "command_line"), ("list",)]
CATEGORIES = ["process", "file", None]
POOL = ["", "a", "A", "ab", "AB", "aAb", "aab", "xAAB", "é", "É", "a?b", "a*b", "a\\b", "x.aab",
        "aa b", "C:\\x\\Ab.exe", "/usr/bin/ab", "a/b\\c", "ab ", "\\", "/"]
text = st.one_of(
    st.sampled_from(POOL), st.sampled_from(POOL), st.text(alphabet="aAbBé*?\\/. ", max_size=5)
)
scalars = st.one_of(
    text, text, st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([0.5, -1.0, 2.0])
)
values = st.one_of(scalars, st.lists(scalars, max_size=3))
fields = st.sampled_from(PATHS).map(ir.Field)
literals = scalars.map(ir.Literal)
regexes = st.sampled_from(["a.*", ".*b", "[ab]+", "a|B", "", "é?", "A.B", "\\.", "(?:a\\*)+"])
ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


def value_exprs() -> st.SearchStrategy[ir.Expr]:
    leaf = st.one_of(fields, literals, st.just(ir.EventTime()))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(ir.Arith, st.sampled_from(["+", "-", "*", "/", "%"]), inner, inner),
            st.builds(ir.Neg, inner),
            st.builds(ir.Call, st.sampled_from(["length", "string"]), st.tuples(inner)),
            st.builds(ir.Call, st.just("concat"), st.tuples(inner, inner)),
            st.builds(ir.Call, st.just("substring"), st.tuples(inner, inner)),
        ),
        max_leaves=3,
    )


def key_conditions() -> st.SearchStrategy[ir.Expr]:
    """Conditions the router can index or prefilter on."""
    return st.one_of(
        st.builds(ir.Compare, st.just("=="), fields, literals, st.booleans()),
        st.builds(ir.Compare, st.just("=="), literals, fields, st.booleans()),
        st.builds(ir.In, fields, st.lists(literals, min_size=1, max_size=3).map(tuple),
                  st.booleans()),
        st.builds(ir.Match, st.just("wildcard"), fields,
                  st.lists(text, min_size=1, max_size=3).map(tuple), st.booleans()),
        st.builds(ir.Match, st.just("wildcard"), fields,
                  st.lists(text.map(lambda t: f"*{t}aa*"), min_size=1, max_size=2).map(tuple),
                  st.booleans()),
        st.builds(ir.Call, st.sampled_from(["startswith", "endswith", "stringcontains"]),
                  st.tuples(fields, text.map(lambda t: t + "aAb").map(ir.Literal)),
                  st.booleans()),
        # basename keys (a suffix holding a backslash or a slash) and last-character keys
        st.builds(ir.Match, st.just("wildcard"), fields,
                  st.lists(st.sampled_from(["*\\", "*/", "*", "*?\\", "*\\*"]).flatmap(
                      lambda pre: text.map(lambda t: pre + t)), min_size=1, max_size=3).map(tuple),
                  st.booleans()),
        st.builds(ir.Call, st.just("endswith"),
                  st.tuples(fields, st.tuples(st.sampled_from(["\\", "/", ""]), text).map(
                      lambda pt: ir.Literal(pt[0] + pt[1]))),
                  st.booleans()),
    )


def conditions() -> st.SearchStrategy[ir.Expr]:
    leaf = st.one_of(
        key_conditions(),
        st.builds(ir.Compare, ops, fields, literals, st.booleans()),
        st.builds(ir.Compare, ops, value_exprs(), value_exprs(), st.booleans()),
        st.builds(ir.In, value_exprs(), st.lists(value_exprs(), max_size=3).map(tuple),
                  st.booleans()),
        st.builds(ir.Match, st.just("regex"), fields,
                  st.lists(regexes, min_size=1, max_size=2).map(tuple), st.booleans()),
        st.builds(ir.Match, st.just("wildcard"), value_exprs(),
                  st.lists(text, min_size=1, max_size=2).map(tuple), st.booleans()),
        st.builds(ir.IsNull, value_exprs()),
        fields,
        literals,
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(ir.And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
            st.builds(ir.Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
            st.builds(ir.Not, inner),
        ),
        max_leaves=6,
    )


def indexed_conditions() -> st.SearchStrategy[ir.Expr]:
    """Conjunctions with a key, so most predicates are indexed or prefiltered; Sigma's shape
    (an ``or`` of conjunctions, keys on several fields, negated filters)."""
    return st.one_of(
        key_conditions(),
        st.builds(lambda k, c: ir.And((k, c)), key_conditions(), conditions()),
        st.builds(lambda a, c, b: ir.Or((ir.And((a, c)), b)),
                  key_conditions(), conditions(), key_conditions()),
        st.builds(lambda a, b, c: ir.And((ir.Or((a, b)), ir.Not(c))),
                  key_conditions(), key_conditions(), key_conditions()),
    )


def pool_of(rules: list) -> list[Any]:
    """Values taken from the rules' literals and patterns, in several cases, so that random
    events actually hit equality keys, literals and wildcards."""
    out: list[Any] = []
    for _cat, cond in rules:
        for node in ir.walk(cond):
            if isinstance(node, ir.Literal) and node.value is not None:
                out.append(node.value)
            elif isinstance(node, ir.Match):
                for p in node.patterns:
                    out.append(p.replace("\\", "").replace("*", "x").replace("?", "é"))
                    out.append(p.replace("*", "").replace("?", "a"))
                    out.append("C:\\d/x\\" + p.replace("*", "").replace("?", "b"))
    out += [v.upper() for v in out if isinstance(v, str)]
    out += [v.lower() for v in out if isinstance(v, str)]
    return out or [""]


def records(pool: list[Any]) -> st.SearchStrategy[dict[str, Any]]:
    def build(flat: bool, data: dict[tuple, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for path, value in data.items():
            if len(path) == 1 or flat:
                out[".".join(path)] = value
            else:
                out.setdefault(path[0], {})[path[1]] = value
        return out

    picked = st.sampled_from(pool)
    value = st.one_of(picked, picked, picked, scalars, st.lists(st.one_of(picked, scalars), max_size=3))
    return st.builds(build, st.booleans(), st.dictionaries(st.sampled_from(PATHS), value, min_size=4))


def events(pool: list[Any]) -> st.SearchStrategy[list]:
    return st.lists(
        st.builds(
            make_event,
            records(pool),
            st.lists(st.sampled_from(["process", "file", "network"]), min_size=1, max_size=2),
            st.one_of(st.none(), st.integers(-1, 2)),
        ),
        min_size=1,
        max_size=8,
    )


rule_sets = st.lists(
    st.tuples(st.sampled_from(CATEGORIES), st.one_of(conditions(), indexed_conditions())),
    min_size=1,
    max_size=25,
)


def expected_hits(predicates: list[ir.Predicate], batch: list) -> list[tuple[int, int]]:
    return [
        (i, p.id)
        for i, event in enumerate(batch)
        for p in predicates
        if (p.category is None or p.category in event.categories)
        and interpreter.matches(p.condition, event)
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_sets, st.data())
def test_generated_code_agrees_with_interpreter(rules: list, data: st.DataObject) -> None:
    batch = data.draw(events(pool_of(rules)))
    predicates = [ir.Predicate(n, f"r{n}", 0, cat, cond) for n, (cat, cond) in enumerate(rules)]
    expected = expected_hits(predicates, batch)
    for index, programs in VARIANTS:
        compiled = PythonRuntime(index=index, programs=programs).compile(predicates, None)
        assert compiled.evaluate(batch) == expected, compiled.source
        assert compiled.stats()["faults"] == 0, compiled.stats()["last_fault"]
        if programs:  # the pure-Python evaluator of the same programs
            for i, event in enumerate(batch):
                for p in predicates:
                    if program_of(compiled, p.id) is None:
                        continue
                    if p.category is None or p.category in event.categories:
                        hit = run_program_py(compiled, p.id, event)
                        assert hit == ((i, p.id) in expected), (p.condition, event.fields)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_sets, st.data())
def test_router_candidates_hold_every_true_predicate(rules: list, data: st.DataObject) -> None:
    batch = data.draw(events(pool_of(rules)))
    predicates = [ir.Predicate(n, f"r{n}", 0, cat, cond) for n, (cat, cond) in enumerate(rules)]
    found = Router(predicates).candidates(batch)
    assert len(found) == len(batch)
    for i, p in expected_hits(predicates, batch):
        assert p in found[i], (i, p, found[i])
    for cands in found:
        assert list(cands) == sorted(set(cands))
