"""The lua_package rule format, the plugin hooks and the example package in rules/lua."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kestrel_core import ir
from kestrel_core.errors import RuleError
from kestrel_lua import plugin
from kestrel_lua.package import LuaPackageFormat
from kestrel_lua.runtime import LuaRuntime

from .conftest import event, package_predicates

EXAMPLE = Path(__file__).resolve().parents[2] / "rules" / "lua" / "encoded_powershell"
BLOB = "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA"


def test_plugin_hooks() -> None:
    (runtime,) = plugin.kestrel_predicate_runtimes()
    (fmt,) = plugin.kestrel_rule_formats()
    assert (runtime.name, runtime.factory) == ("lua", LuaRuntime)
    assert fmt.name == "lua_package"
    assert isinstance(fmt.factory(), LuaPackageFormat)


def test_claims_only_lua_package_directories(tmp_path: Path, make_package) -> None:
    fmt = LuaPackageFormat()
    assert fmt.claims(make_package("p", "function pred_eval() return true end"))
    wasm = tmp_path / "w"
    wasm.mkdir()
    (wasm / "manifest.json").write_text(json.dumps({"runtime": "wasm"}))
    assert not fmt.claims(wasm)
    assert not fmt.claims(tmp_path / "missing")
    assert not fmt.claims(EXAMPLE / "manifest.json")


def test_load_builds_an_external_rule() -> None:
    (rule,) = LuaPackageFormat().load(EXAMPLE)
    assert rule.runtime == "lua"
    assert rule.id == "lua-encoded-powershell"
    assert rule.severity == "high"
    assert rule.query == ir.Query(ir.EventQuery("process", ir.External("lua", str(EXAMPLE), 0)))


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"runtime": "python"}, "runtime"),
        ({"abi": "v9"}, "abi"),
        ({"format_version": 2}, "format_version"),
        ({"rule": {"id": "x"}}, "rule.name"),
        ({"rule": {"id": "x", "name": "x", "severity": "urgent"}}, "rule.severity"),
        ({"fields": "name"}, "fields"),
        ({"bogus": 1}, "bogus"),
        ({"module": "../evil.lua"}, "module"),
        ({"capabilities": ["os_execute"]}, "capabilities[0]"),
        ({"exports": {"eval": "x y"}}, "exports.eval"),
        ({"sequence": {"steps": [{}]}}, "sequence"),
    ],
)
def test_manifest_errors_name_package_and_key(make_package, change: dict, key: str) -> None:
    directory = make_package("bad", "function pred_eval() return true end")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest.update(change)
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RuleError) as info:
        LuaPackageFormat().load(directory)
    assert str(directory) in str(info.value)
    assert f"'{key}'" in str(info.value)


def test_syntax_error_and_bytecode_refused_at_load(make_package) -> None:
    with pytest.raises(RuleError, match="syntax error"):
        LuaPackageFormat().load(make_package("syn", "function pred_eval( return end"))
    directory = make_package("bin", "")
    (directory / "predicate.lua").write_bytes(b"\x1bLJ\x02\x00")
    with pytest.raises(RuleError, match="bytecode"):
        LuaPackageFormat().load(directory)


def test_example_encoded_powershell() -> None:
    preds = package_predicates([EXAMPLE])
    compiled = LuaRuntime().compile(preds, None)
    ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
    events = [
        event(Image=ps, CommandLine=f"powershell.exe -NoP -w hidden -enc {BLOB}"),
        event(Image=ps, CommandLine="powershell.exe -File x.ps1"),
        event(Image="C:\\x\\cmd.exe", CommandLine=f"cmd /c echo -enc {BLOB}"),
        event(process={"name": "PWSH.EXE", "command_line": f"pwsh -EncodedCommand '{BLOB}'"}),
        event(("file",), Image=ps, CommandLine=f"powershell -enc {BLOB}"),
        event(Image=ps, CommandLine="powershell -enc SGVsbG8="),
    ]
    assert compiled.evaluate(events) == [(0, 0), (3, 0)]
    assert compiled.captures[(0, 0)]["encoded_command"] == BLOB
    assert compiled.captures[(3, 0)]["length"] == len(BLOB)
    assert compiled.stats()["faults"] == 0


def test_batch_abi_and_alert_emit(make_package) -> None:
    code = """
    function kestrel_eval_batch(n)
      local names, out = kestrel.column("name", true), {}
      for i = 1, n do
        if names[i] == "abc" then
          out[#out + 1] = i
          kestrel.alert_emit(i, {why = "abc", n = i})
        end
      end
      return out
    end
    """
    pkg = make_package("batch", code, abi="batch", lower_fields=["name"])
    compiled = LuaRuntime().compile(package_predicates([pkg]), None)
    hits = compiled.evaluate(
        [event(name="x"), event(name="ABC"), event(("file",), name="abc"), event(name="aBc")]
    )
    assert hits == [(1, 0), (3, 0)]
    assert [a["event"] for a in compiled.emitted] == [1, 3]
    assert compiled.emitted[0]["details"] == {"why": "abc", "n": 2}  # 1-based in the sub-batch


def test_host_api_getters(make_package) -> None:
    code = """
    function pred_eval(ev)
      local k = kestrel
      return k.event_get_i64(ev, "pid") == 42 and k.event_get_u64(ev, 2) == 42
        and k.event_get_i64(ev, "neg") == -1 and k.event_get_u64(ev, "neg") == nil
        and k.event_get_str(ev, "pid") == nil and k.event_get_str(ev, 1) == "n"
        and k.event_get_str(ev, "missing") == nil and #k.event_get_list(ev, "args") == 2
        and k.event_get_i64(ev, "f") == nil and k.glob_match("N*", "n", true)
        and not k.glob_match("N*", "n")
    end
    """
    pkg = make_package("api", code, fields=["name", "pid", "neg", "missing", "args", "f"])
    compiled = LuaRuntime().compile(package_predicates([pkg]), None)
    ev = event(name="n", pid=42, neg=-1, args=["a", None, "b"], f=1.5)
    assert compiled.evaluate([ev]) == [(0, 0)], compiled.stats()["last_fault"]


def test_source_lists_generated_code_and_packages() -> None:
    preds = package_predicates(
        [EXAMPLE],
        [("r", ir.Query(ir.EventQuery(None, ir.Compare("==", ir.Field(("a",)), ir.Literal(1)))))],
    )
    text = LuaRuntime().source(preds, None)
    assert "lua package" in text and "return function(lo, hi, idx, C, hits, nh, pid)" in text
