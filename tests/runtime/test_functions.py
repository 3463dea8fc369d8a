"""The EQL functions with Elasticsearch semantics: (name, case-insensitive, args) -> result."""

from __future__ import annotations

import math

import pytest

from kestrel_core.runtime import functions
from kestrel_core.runtime.functions import FUNCTIONS, CidrBlocks, arith, call, check_arity

PATH = "C:\\Windows\\System32\\cmd.exe"

CASES = [
    # add / subtract / multiply / divide / modulo
    ("add", False, [4, 5], 9), ("add", False, [4, 0.5], 4.5), ("add", False, [None, 4], None),
    ("add", False, [4, None], None), ("add", False, ["4", 1], None), ("add", False, [True, 1], None),
    ("subtract", False, [10, 2], 8), ("subtract", False, [10.5, 0.5], 10.0),
    ("subtract", False, [None, 2], None), ("multiply", False, [2, 2.5], 5.0),
    ("multiply", False, [2, None], None), ("divide", False, [4, 2], 2), ("divide", False, [4, 3], 1),
    ("divide", False, [-4, 3], -1), ("divide", False, [4, -3], -1), ("divide", False, [4.0, 8], 0.5),
    ("divide", False, [4, 0], None), ("divide", False, [None, 3], None),
    ("modulo", False, [10, 6], 4), ("modulo", False, [-10, 6], -4), ("modulo", False, [10, -6], 4),
    ("modulo", False, [10.5, 6], 4.5), ("modulo", False, [10, 0], None), ("modulo", False, [None, 6], None),
    # between
    ("between", False, [PATH, "System32\\", ".exe"], "cmd"),
    ("between", False, [PATH, "system32\\", ".exe"], ""),
    ("between", True, [PATH, "system32\\", ".exe"], "cmd"),
    ("between", False, [PATH, "workspace\\", ".exe"], ""),
    ("between", False, [PATH, "\\", "\\", False], "Windows"),
    ("between", False, [PATH, "\\", "\\", True], "Windows\\System32"),
    ("between", False, ["", "a", "b"], ""), ("between", False, [None, "a", "b"], None),
    ("between", False, ["abc", "", "c"], "abc"), ("between", False, ["abc", None, "c"], None),
    ("between", False, ["ab", "b", "a", True], ""),
    ("between", False, ["aXYb", "x", "b", False, False], "Y"),
    # cidrmatch
    ("cidrmatch", False, ["192.168.152.12", "192.168.0.0/16"], True),
    ("cidrmatch", False, ["192.168.152.12", "192.168.0.0/16", "10.6.48.157/8"], True),
    ("cidrmatch", False, ["192.168.152.12", "10.6.48.157/8"], False),
    ("cidrmatch", False, ["192.168.152.12", "192.168.152.12"], True),
    ("cidrmatch", False, ["2001:db8::1", "2001:db8::/32"], True),
    ("cidrmatch", False, ["2001:db8::1", "10.0.0.0/8"], False),
    ("cidrmatch", False, [None, "10.0.0.0/8"], None), ("cidrmatch", False, ["nope", "10.0.0.0/8"], None),
    ("cidrmatch", False, [["1.2.3.4", "10.0.0.1"], "10.0.0.0/8"], True),
    # concat
    ("concat", False, ["process is ", "regsvr32.exe"], "process is regsvr32.exe"),
    ("concat", False, ["regsvr32.exe", " ", 42], "regsvr32.exe 42"),
    ("concat", False, ["regsvr32.exe", " ", 42.5], "regsvr32.exe 42.5"),
    ("concat", False, ["regsvr32.exe", " ", True], "regsvr32.exe true"),
    ("concat", False, ["regsvr32.exe"], "regsvr32.exe"), ("concat", False, [None, "x"], None),
    ("concat", False, ["x", None], None),
    # endswith / startswith
    ("endswith", False, ["regsvr32.exe", ".exe"], True), ("endswith", False, ["regsvr32.exe", ".EXE"], False),
    ("endswith", True, ["regsvr32.exe", ".EXE"], True), ("endswith", False, ["regsvr32.exe", ".dll"], False),
    ("endswith", False, ["", ""], True), ("endswith", False, [None, ".exe"], None),
    ("endswith", False, ["x", None], None), ("endswith", False, [5, "5"], None),
    ("endswith", False, [["a.dll", "b.exe"], ".exe"], True), ("endswith", False, [["a.dll"], ".exe"], False),
    ("endswith", False, [[], ".exe"], None), ("endswith", False, [[None], ".exe"], None),
    ("startswith", False, ["regsvr32.exe", "regsvr32"], True), ("startswith", False, ["regsvr32.exe", "Regsvr32"], False),
    ("startswith", True, ["regsvr32.exe", "Regsvr32"], True), ("startswith", False, ["regsvr32.exe", "explorer"], False),
    ("startswith", False, ["", ""], True), ("startswith", False, [None, "x"], None),
    # indexof
    ("indexof", False, ["security", "s"], 0), ("indexof", False, ["sees", "s", 1], 3),
    ("indexof", False, ["security", "s", 8], None), ("indexof", False, ["security", "S"], None),
    ("indexof", True, ["security", "S"], 0), ("indexof", False, ["security", "x"], None),
    ("indexof", False, ["security", ""], 0), ("indexof", False, ["", ""], 0),
    ("indexof", False, ["security", "", 100], 8), ("indexof", False, ["security", "s", None], 0),
    ("indexof", False, ["security", "s", -5], 0), ("indexof", False, [None, "s"], None),
    ("indexof", False, ["security", None], None),
    # length
    ("length", False, ["explorer.exe"], 12), ("length", False, ["start explorer.exe"], 18),
    ("length", False, [""], 0), ("length", False, [None], None), ("length", False, [5], None),
    ("length", False, [["a", "b"]], 2),
    # number
    ("number", False, ["1337"], 1337), ("number", False, ["42.5"], 42.5), ("number", False, ["-42"], -42),
    ("number", False, ["1.0"], 1), ("number", False, ["0x1337"], 4919), ("number", False, ["0x1337", 16], 4919),
    ("number", False, ["1337", 16], 4919), ("number", False, ["ff", 16], 255), ("number", False, ["101", 2], 5),
    ("number", False, [None], None), ("number", False, [None, 16], None), ("number", False, ["abc"], None),
    ("number", False, ["1e3"], None), ("number", False, ["", 10], None), ("number", False, ["12", 40], None),
    ("number", False, [" 12"], None), ("number", False, ["1_0"], None),
    # string
    ("string", False, [-1], "-1"), ("string", False, [42], "42"), ("string", False, [42.5], "42.5"),
    ("string", False, [1.0], "1.0"), ("string", False, [1e20], "1.0E20"), ("string", False, [True], "true"),
    ("string", False, ["regsvr32.exe"], "regsvr32.exe"), ("string", False, [None], None),
    ("string", False, [["10.0.0.1", "::1"]], "[10.0.0.1, ::1]"),
    # stringcontains
    ("stringcontains", False, ["process", "proc"], True), ("stringcontains", False, ["process", "Proc"], False),
    ("stringcontains", True, ["process", "Proc"], True), ("stringcontains", False, ["process", ""], False),
    ("stringcontains", False, ["", ""], False), ("stringcontains", False, [None, "x"], None),
    ("stringcontains", False, ["x", None], None),
    # substring
    ("substring", False, ["start regsvr32.exe", 6], "regsvr32.exe"),
    ("substring", False, ["start regsvr32.exe", 0, 5], "start"),
    ("substring", False, ["start regsvr32.exe", -4], ".exe"),
    ("substring", False, ["start regsvr32.exe", -4, -1], ".ex"),
    ("substring", False, ["abc", 5], ""), ("substring", False, ["abc", 2, 1], ""),
    ("substring", False, ["abc", -10, 100], "abc"), ("substring", False, ["abc", None], "abc"),
    ("substring", False, [None, 1], None), ("substring", False, ["", 1], ""),
]


@pytest.mark.parametrize(("name", "ci", "args", "expected"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_function(name: str, ci: bool, args: list, expected: object) -> None:
    result = call(name, ci, args)
    assert result == expected and type(result) is type(expected), (name, args, result)


@pytest.mark.parametrize(("args", "expected"), [
    (c[2], c[3]) for c in CASES if c[0] == "cidrmatch"
] + [
    (["10.1.2.3", "10.0.0.0/8", "not a block"], None),  # one bad block: always null
    ([[["10.0.0.1"]], "10.0.0.0/8"], None),  # a list inside the list is not an address
    ([["nope", "192.168.1.1"], "10.0.0.0/8"], False),
    ([5, "10.0.0.0/8"], None),
])
def test_cidr_blocks_answer_as_cidrmatch(args: list, expected: object) -> None:
    """The precompiled blocks the python runtime uses for literal lists, asked twice (the second
    answer comes from its memory), give cidrmatch's answers."""
    blocks = CidrBlocks(tuple(args[1:]))
    assert call("cidrmatch", False, args) == expected
    assert blocks(args[0]) == expected and blocks(args[0]) == expected


def test_cidr_blocks_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(functions, "CIDR_MEMO", 3)
    blocks = CidrBlocks(("10.0.0.0/8",))
    answers = [blocks(f"10.0.0.{i}") for i in range(10)] + [blocks("11.0.0.1")]
    assert answers == [True] * 10 + [False]
    assert len(blocks._memo) <= 3


def test_every_function_is_tested() -> None:
    assert {c[0] for c in CASES} == set(FUNCTIONS)


def test_arith_float_modulo_and_nan() -> None:
    assert arith("%", -7.5, 2) == -1.5
    assert math.isnan(arith("+", float("nan"), 1))


@pytest.mark.parametrize(("name", "count", "ok"), [
    ("add", 2, True), ("add", 3, False), ("concat", 9, True), ("between", 2, False),
    ("nope", 1, False), ("substring", 3, True), ("cidrmatch", 1, False),
])
def test_arity(name: str, count: int, ok: bool) -> None:
    assert (check_arity(name, count) is None) is ok
