"""Every escape a rule might try is refused or stopped, and the engine keeps evaluating."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kestrel_core import ir
from kestrel_lua.runtime import LuaRuntime

from .conftest import event, package_predicates

GOOD = 'function pred_eval(ev) return kestrel.event_get_str(ev, "name") == "a" end'
EQL_RULE = (
    "eql-rule",
    ir.Query(ir.EventQuery("process", ir.Compare("==", ir.Field(("name",)), ir.Literal("a")))),
)

# (test id, rule code, fault kind expected or None when the escape just finds nothing)
ESCAPES = [
    ("ffi", 'function pred_eval(ev) local ffi = require("ffi"); return ffi ~= nil end', "error"),
    ("ffi-global", "function pred_eval(ev) return ffi.C ~= nil end", "error"),
    ("io", 'function pred_eval(ev) return io.open("/etc/passwd") ~= nil end', "error"),
    (
        "os",
        'function pred_eval(ev) os.execute("touch /tmp/kestrel-pwned") return true end',
        "error",
    ),
    ("debug", "function pred_eval(ev) return debug.getregistry() ~= nil end", "error"),
    ("require", 'function pred_eval(ev) return require("os") ~= nil end', "error"),
    ("package", "function pred_eval(ev) return package.loaded.os ~= nil end", "error"),
    ("getfenv", "function pred_eval(ev) return getfenv(0).os ~= nil end", "error"),
    ("setfenv", "function pred_eval(ev) setfenv(1, {}) return true end", "error"),
    ("collectgarbage", 'function pred_eval(ev) collectgarbage("stop") return true end', "error"),
    ("dofile", 'function pred_eval(ev) dofile("/etc/passwd") return true end', "error"),
    ("python", 'function pred_eval(ev) return python.eval("1") ~= nil end', "error"),
    ("jit", "function pred_eval(ev) jit.on() return true end", "error"),
    ("coroutine", "function pred_eval(ev) return coroutine.create(print) ~= nil end", "error"),
    (
        "string.dump",
        "function pred_eval(ev) return assert(load(string.dump(function() return true end)))() end",
        "error",
    ),
    (
        "bytecode-literal",
        'function pred_eval(ev) return assert(load("\\27LJ\\2\\0\\0")) ~= nil end',
        "error",
    ),
    (
        "bytecode-loadstring",
        'function pred_eval(ev) return assert(loadstring("\\27LuaQ")) ~= nil end',
        "error",
    ),
    ("dump-metatable", 'function pred_eval(ev) return ("").dump(print) ~= nil end', "error"),
    (
        "dump-getmetatable",
        'function pred_eval(ev) return getmetatable("").__index.dump ~= nil end',
        "error",
    ),
    (
        "load-env-escape",
        'function pred_eval(ev) return load("return os")() ~= nil end',
        None,
    ),
    ("infinite-loop", "function pred_eval(ev) while true do end end", "budget"),
    (
        "pcall-loop",
        "function pred_eval(ev) while true do pcall(function() while true do end end) end end",
        "budget",
    ),
    (
        "error-in-pcall-loop",
        'function pred_eval(ev) while true do pcall(error, "x") end end',
        "budget",
    ),
    (
        "xpcall-handler-loop",
        "function pred_eval(ev) while true do xpcall(function() while true do end end,"
        " function() while true do end end) end end",
        "budget",
    ),
    (
        "recursion",
        "local function f(n) return f(n + 1) + 1 end function pred_eval(ev) return f(1) end",
        "error",
    ),
    (
        "memory-rep",
        'function pred_eval(ev) local s = string.rep("x", 2^30) return #s > 0 end',
        "memory",
    ),
    (
        "memory-table",
        "function pred_eval(ev) local t = {} local i = 0 while true do i = i + 1"
        ' t[i] = string.rep("y", 4096) .. i end end',
        "memory",
    ),
    (
        "memory-in-pcall",
        "function pred_eval(ev) local t = {} while true do pcall(function()"
        ' t[#t + 1] = string.rep("z", 65536) .. #t end) end end',
        "memory",
    ),
    (
        "pattern-bomb",
        'function pred_eval(ev) return string.find(string.rep("a", 5000),'
        ' string.rep("a*", 20) .. "b") ~= nil end',
        "error",
    ),
    (
        "pattern-bomb-method",
        'function pred_eval(ev) local s = string.rep("a", 5000) return s:match(string.rep("a-", 20) .. "b") end',
        "error",
    ),
]


@pytest.mark.parametrize(("name", "code", "kind"), ESCAPES, ids=[e[0] for e in ESCAPES])
def test_escape_is_refused_and_engine_keeps_running(
    make_package, name: str, code: str, kind: str | None
) -> None:
    bad = make_package("bad", code)
    good = make_package("good", GOOD)
    preds = package_predicates([bad, good], [EQL_RULE])
    compiled = LuaRuntime(memory_limit=32 << 20, instructions_per_event=100_000).compile(
        preds, None
    )
    events = [event(name="a"), event(name="b"), event(name="a")]
    for _ in range(4):
        hits = compiled.evaluate(events)
        assert hits == [(0, 1), (0, 2), (2, 1), (2, 2)]  # never the bad package (id 0)
    stats = compiled.stats()
    if kind is None:
        assert stats["faults"] in (0, 3)
    else:
        assert stats["faults_by_kind"].get(kind, 0) >= 1, stats["last_fault"]
        assert stats["quarantined"] == [0]
        assert stats["faults_by_predicate"] == {0: 3}
    assert not Path("/tmp/kestrel-pwned").exists()


def test_quarantine_after_configured_faults(make_package) -> None:
    bad = make_package("bad", 'function pred_eval(ev) error("boom") end')
    compiled = LuaRuntime(max_faults=2).compile(package_predicates([bad]), None)
    compiled.evaluate([event(name="a")])
    assert compiled.stats()["quarantined"] == []
    compiled.evaluate([event(name="a")])
    assert compiled.stats()["quarantined"] == [0]
    compiled.evaluate([event(name="a")])
    assert compiled.stats()["faults"] == 2  # not run once quarantined
    assert "boom" in compiled.stats()["last_fault"][0]


def test_fault_at_load_quarantines_only_that_package(make_package) -> None:
    bad = make_package("bad", "while true do end")
    good = make_package("good", GOOD)
    compiled = LuaRuntime().compile(package_predicates([bad, good]), None)
    assert compiled.evaluate([event(name="a")]) == [(0, 1)]
    assert compiled.stats()["quarantined"] == [0]
    assert compiled.stats()["faults_by_kind"] == {"budget": 1}


def test_packages_run_with_jit_off_and_memory_cap(make_package) -> None:
    probe = make_package("probe", GOOD)
    compiled = LuaRuntime(memory_limit=16 << 20).compile(package_predicates([probe]), None)
    package = compiled._packages[0]
    assert package.rt.eval("jit.status()")[0] is False
    assert compiled.eql.rt.eval("jit.status()")[0] is True
    assert package.rt.get_max_memory() == 16 << 20


def test_python_objects_unreachable(make_package) -> None:
    code = """
    function pred_eval(ev)
      -- host functions are wrapped in Lua closures: nothing Python-shaped is in reach
      for k, v in pairs(kestrel) do
        if type(v) == "userdata" then return true end
      end
      for k, v in pairs(_G) do
        if type(v) == "userdata" then return true end
      end
      return false
    end
    """
    pkg = make_package("probe", code)
    compiled = LuaRuntime().compile(package_predicates([pkg]), None)
    assert compiled.evaluate([event(name="a")]) == []
    assert compiled.stats()["faults"] == 0


def test_re_compile_only_at_load(make_package) -> None:
    code = """
    local id = kestrel.re_compile("a+b")
    function pred_eval(ev)
      if kestrel.event_get_str(ev, "name") == "late" then kestrel.re_compile("x") end
      return kestrel.re_match(id, kestrel.event_get_str(ev, "name"))
    end
    """
    pkg = make_package("re", code)
    compiled = LuaRuntime().compile(package_predicates([pkg]), None)
    assert compiled.evaluate([event(name="aab"), event(name="ab "), event(name="b")]) == [(0, 0)]
    compiled.evaluate([event(name="late")])
    assert "only allowed while the package loads" in compiled.stats()["last_fault"][0]


def test_undeclared_field_is_an_error(make_package) -> None:
    pkg = make_package("f", 'function pred_eval(ev) return kestrel.event_get_str(ev, "secret") end')
    compiled = LuaRuntime().compile(package_predicates([pkg]), None)
    compiled.evaluate([event(name="a", secret="s")])
    assert "not declared" in compiled.stats()["last_fault"][0]


def test_capabilities_limit_the_api(make_package) -> None:
    code = "function pred_eval(ev) return kestrel.alert_emit == nil and kestrel.re_match == nil end"
    pkg = make_package("caps", code, capabilities=["event_get_str"])
    compiled = LuaRuntime().compile(package_predicates([pkg]), None)
    assert compiled.evaluate([event(name="a")]) == [(0, 0)]


def test_no_file_was_written() -> None:
    assert not os.path.exists("/tmp/kestrel-pwned")
