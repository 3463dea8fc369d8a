"""Rule packages: the examples of rules/wasm, manifest validation, faults and quarantine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kestrel_core import ir
from kestrel_core.errors import RuleError
from kestrel_core.events.model import Event
from kestrel_core.ir import predicates_for
from kestrel_wasm.ruleformat import WasmPackageFormat
from kestrel_wasm.runtime import WasmRuntime

EXAMPLES = Path(__file__).resolve().parents[2] / "rules" / "wasm"


def ev(fields: dict, categories=("process",)) -> Event:
    return Event(categories, 1, None, fields, fields)


SYSMON = [
    ev(
        {
            "Image": "C:\\Windows\\System32\\CertUtil.exe",
            "CommandLine": "certutil -urlcache -f http://x a",
        }
    ),
    ev({"Image": "C:\\Windows\\System32\\certutil.exe", "CommandLine": "certutil -decode a b"}),
    ev(
        {"Image": "C:\\Windows\\System32\\certutil.exe", "CommandLine": "certutil -urlcache"},
        ("file",),
    ),
]
ECS = [
    ev({"process": {"name": "CERTUTIL.EXE", "command_line": "certutil -URLcache -f http://x"}}),
    ev({"process": {"name": "bitsadmin.exe", "command_line": "bitsadmin /transfer j http://x"}}),
    ev({"process": {"name": "cmd.exe", "command_line": "certutil -urlcache"}}),
]

GOOD_MODULE = """(module (memory (export "memory") 1)
  (func (export "pred_init") (param i32) (result i32) (i32.const 0))
  (func (export "pred_eval") (param i32 i32) (result i32) %s))"""


def make_package(
    root: Path, name: str, body: str, abi: str = "v1", exports: str | None = None
) -> Path:
    d = root / name
    d.mkdir()
    manifest = {
        "format_version": 1,
        "runtime": "wasm",
        "abi": abi,
        "rule": {"id": name, "name": name, "severity": "low"},
        "category": "process",
        "fields": ["Image"],
    }
    (d / "manifest.json").write_text(json.dumps(manifest, indent=2))
    (d / "rule.wat").write_text(exports if exports is not None else GOOD_MODULE % body)
    return d


def load(path: Path):
    return WasmPackageFormat().load(path)


def compile_rules(runtime, rules):
    return runtime.compile(predicates_for([(r.id, r.query) for r in rules]), None)


def test_hand_written_example(runtime):
    rules = load(EXAMPLES / "certutil-urlcache")
    assert rules[0].runtime == "wasm" and rules[0].severity == "high"
    assert isinstance(rules[0].query.body.condition, ir.External)
    compiled = compile_rules(runtime, rules)
    assert compiled.evaluate(SYSMON) == [(0, 0)]
    package = next(iter(compiled.packages.values())).module
    assert package.captures[(0, 0)] == b"certutil -urlcache -f http://x a"
    assert package.ctx.emitted[-1] == (0, b"certutil -urlcache -f http://x a")


def test_compiled_example(runtime):
    rules = load(EXAMPLES / "lolbin-download")
    assert compile_rules(runtime, rules).evaluate(ECS) == [(0, 0), (1, 0)]


def test_claims(tmp_path):
    fmt = WasmPackageFormat()
    assert fmt.claims(EXAMPLES / "certutil-urlcache")
    assert not fmt.claims(tmp_path)
    (tmp_path / "manifest.json").write_text('{"runtime": "lua"}')
    assert not fmt.claims(tmp_path)


def test_wrong_abi_version_names_package_and_key(tmp_path):
    d = make_package(tmp_path, "bad-abi", "(i32.const 1)", abi="v2")
    with pytest.raises(RuleError) as info:
        load(d)
    message = str(info.value)
    assert "bad-abi" in message and "'abi'" in message and "'v1', 'batch'" in message
    assert info.value.location.line > 1


def test_bad_severity_is_located(tmp_path):
    d = make_package(tmp_path, "bad-sev", "(i32.const 1)")
    data = json.loads((d / "manifest.json").read_text())
    data["rule"]["severity"] = "urgent"
    (d / "manifest.json").write_text(json.dumps(data, indent=2))
    with pytest.raises(RuleError, match=r"rule\.severity"):
        load(d)


def test_missing_export_is_a_clear_error(tmp_path):
    d = make_package(tmp_path, "no-eval", "", exports='(module (memory (export "memory") 1))')
    with pytest.raises(RuleError, match=r"does not export 'pred_init', 'pred_eval'"):
        load(d)


FAULTY = {
    "loops-forever": "(loop $l (br $l)) (i32.const 1)",
    "traps": "unreachable",
    "grows-memory": "(block $b (loop $l (br_if $b (i32.eq (memory.grow (i32.const 16)) (i32.const -1))) (br $l))) unreachable",
}


@pytest.mark.parametrize("kind", sorted(FAULTY))
def test_faulty_package_is_quarantined_and_others_keep_matching(tmp_path, kind):
    runtime = WasmRuntime(
        cache_dir=str(tmp_path / "cache"), memory_mb=8, fuel=2_000_000, max_faults=3
    )
    bad = load(make_package(tmp_path, kind, FAULTY[kind]))
    good = load(shutil.copytree(EXAMPLES / "certutil-urlcache", tmp_path / "good"))
    rules = [*bad, *good]
    query = ir.Query(
        ir.EventQuery(
            "process",
            ir.Compare("==", ir.Field(("CommandLine",)), ir.Literal("certutil -decode a b")),
        )
    )
    preds = predicates_for([(r.id, r.query) for r in rules] + [("ir-rule", query)])
    compiled = runtime.compile(preds, None)
    for _ in range(5):
        assert compiled.evaluate(SYSMON) == [(0, 1), (1, 2)]
    stats = compiled.stats()
    bad_stats = next(m for m in stats["modules"] if m["module"].startswith(kind))
    assert bad_stats["faults"] == 3 and bad_stats["quarantined"]
    assert bad_stats["module"] in stats["quarantined"]
    assert len(stats["quarantined"]) == 1


def test_epoch_deadline_stops_a_loop(tmp_path):
    runtime = WasmRuntime(cache_dir=None, fuel=10**15, timeout_ms=50, max_faults=1)
    bad = load(make_package(tmp_path, "spins", FAULTY["loops-forever"]))
    compiled = compile_rules(runtime, bad)
    assert compiled.evaluate(SYSMON[:1]) == []
    stats = compiled.stats()["modules"][0]
    assert stats["quarantined"] and "Trap" in stats["last_error"]


def test_module_cache_on_disk(tmp_path):
    cond = ir.Compare("==", ir.Field(("a",)), ir.Literal("x"))
    preds = [ir.Predicate(0, "r", 0, None, cond)]
    first = WasmRuntime(cache_dir=str(tmp_path)).compile(preds, None)
    assert first.stats()["module_cache"]["misses"] == 1
    assert list(tmp_path.glob("*.cwasm"))
    second = WasmRuntime(cache_dir=str(tmp_path)).compile(preds, None)
    assert second.stats()["module_cache"] == {"hits": 1, "misses": 0, "errors": 0}
