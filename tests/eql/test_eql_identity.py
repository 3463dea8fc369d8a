"""Parse -> print: the printer writes the canonical form (sqlglot's ``validate_identity``)."""

from __future__ import annotations

import json

import pytest

from kestrel_eql import parse, to_eql


def one_line(text: str) -> str:
    return to_eql(parse(text), sep=" ")


# Queries that print back exactly as written.
IDENTITY = [
    'process where process.name == "cmd.exe"',
    "any where true",
    'process where process.name : "cmd.exe"',
    'process where process.name : ("cmd.exe", "pwsh*")',
    'process where process.name like "cmd*"',
    'process where process.name like~ ("CMD*", "?wsh.exe")',
    'process where process.command_line regex ".*net[1]? user.*"',
    'process where process.command_line regex~ ("a.*", "b.*")',
    "process where pid in (1, 2, 3)",
    'process where name in~ ("a", "b")',
    "process where pid not in (1, 2)",
    'process where name not in~ ("a")',
    "process where a == 1 and b != 2 or c < 3",
    "process where a == 1 and (b == 2 or c == 3)",
    "process where not a == 1",
    "process where not (a == 1 and b == 2)",
    "process where a + b * c == 7",
    "process where (a + b) * c == 7",
    "process where a - (b - c) == 0",
    "process where -a == 1",
    "process where -(a + 1) == 1",
    "process where a % 2 == 1 and a / 2 >= 3",
    "process where null == (exit_code > -1)",
    "process where ?user.id != null",
    'process where process.args[0] == "x"',
    'process where process.args[1].name == "x"',
    "process where `my field`.x == 1",
    "process where `sequence` == 1",
    "process where `a``b` == 1",
    "process where @timestamp > 5",
    'process where startsWith~(process.name, "cmd")',
    'process where stringContains(process.name, "cmd")',
    "process where length(process.name) > 3",
    'process where concat() == ""',
    'process where regex(a, "x")',
    'process where regex~(a, "x")',
    '"my category" where true',
    'process where x == "a\\"b\\\\c\\n\\t"',
    "process where x == 1.5",
    "process where x == 100000000000000000000",
    "process where true | head 5",
    "process where true | head 5 | tail 2",
    "process where true | count",
    "process where true | unique a, b",
    "sequence [process where true] [file where true]",
    "sequence by user.name [process where true] [file where true]",
    "sequence with maxspan=5m [process where true] [file where true]",
    "sequence by a, b with maxspan=30s [process where true] by c [file where true] by d",
    "sequence [process where true] with runs=3 [file where true]",
    "sequence with maxspan=1h [a where true] ![b where true] [c where true]",
    "sequence [a where true] [b where true] until [c where true]",
    "sequence by a [x where true] [y where true] until [z where true] by b",
    "sample by host [a where true] [b where true]",
    "sample [a where true] by x [b where true] by y",
    "sequence [a where true] as event0 [b where true]",
    'process where descendant of [process where name == "x"]',
    "process where _arraysearch(a, $entry, $entry.x == 1)",
]


@pytest.mark.parametrize("text", IDENTITY)
def test_identity(text: str) -> None:
    assert one_line(text) == text


# Queries whose canonical form differs from what was written.
NORMALIZED = [
    ("process where a==1", "process where a == 1"),
    ("process where (a == 1)", "process where a == 1"),
    ("process where ((a)) == 1", "process where a == 1"),
    ("process where +a == 1", "process where a == 1"),
    ("process where a : (\"x\")", 'process where a : "x"'),
    ("process where a == 1 // comment", "process where a == 1"),
    ("process where /* c */ a == 1", "process where a == 1"),
    ('process where a == """C:\\raw"""', 'process where a == "C:\\\\raw"'),
    ('process where a == """a\\""""', 'process where a == "a\\\\\\""'),
    ('process where a == "\\u{41}\\u{0042}"', 'process where a == "AB"'),
    ('process where a == "\\/"', 'process where a == "\\\\/"'),
    ("process where `plain` == 1", "process where plain == 1"),
    ("process where a == .5", "process where a == 0.5"),
    ("process where a == 1e3", "process where a == 1000.0"),
    ("process where a == 1.", "process where a == 1.0"),
    ("process where f ( a , b )", "process where f(a, b)"),
    ('"process" where true', "process where true"),
    ('"any" where true', '"any" where true'),
    ("process where a[ 0 ] == 1", "process where a[0] == 1"),
    ("process where true|HEAD 1", "process where true | head 1"),
    ("sequence\n  [a where true]\n  [b where true]", "sequence [a where true] [b where true]"),
    ("sequence [a where true] as e0 by k [b where true] by k",
     "sequence [a where true] as e0 by k [b where true] by k"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), NORMALIZED)
def test_normalized(text: str, expected: str) -> None:
    assert one_line(text) == expected


def test_multi_line_printing() -> None:
    text = "sequence by a with maxspan=1m [x where true] [y where true] | head 1"
    assert to_eql(parse(text)) == (
        "sequence by a with maxspan=1m\n[x where true]\n[y where true]\n| head 1"
    )


def test_to_dict_is_json_with_spans() -> None:
    tree = parse('process where a == "x"')
    data = json.loads(json.dumps(tree.to_dict()))
    condition = data["query"]["condition"]
    assert condition["type"] == "Comparison"
    assert condition["span"] == [1, 15, 1, 23]
    assert condition["right"] == {"type": "Literal", "value": "x", "span": [1, 20, 1, 23]}


def test_spans_span_lines() -> None:
    tree = parse("sequence\n  [a where x == 1]\n  [b where true]")
    step = tree.query.steps[0]
    assert step.span is not None
    assert (step.span.line, step.span.column, step.span.end_column) == (2, 3, 19)


def test_equality_ignores_spans() -> None:
    assert parse("process where a==1") == parse("process   where\n a == 1")
