"""Every real-world rule of the shared corpus, and every query of the Elasticsearch conformance
suites, through the front end. Counts are printed (run with ``-s`` to see them)."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest

from kestrel_eql import EqlError, EqlUnsupportedError, compile_query, parse, to_eql

#: kestrel_eql/tests -> the project root's sibling ``shared``.
SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def shared_dir(env: str, default: Path) -> Path:
    """The directory named by ``env``, else ``default``; skip the test when it is absent."""
    path = Path(os.environ.get(env, default))
    if not path.is_dir():
        pytest.skip(f"{path} not found (set {env} to point at it)")
    return path


@pytest.fixture
def rules_dir() -> Path:
    return shared_dir("KESTREL_CORPUS_DIR", SHARED / "corpus") / "rules"


@pytest.fixture
def suites_dir() -> Path:
    return (
        shared_dir("KESTREL_CONFORMANCE_DIR", SHARED / "conformance") / "elasticsearch" / "suites"
    )


def read_rules(path: Path) -> list[dict]:
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def outcome(text: str, dialect: str = "elasticsearch") -> tuple[str, str]:
    """``("ok", "")``, ``("unsupported", construct)`` or ``("error", message)``."""
    try:
        compile_query(text, dialect=dialect)
    except EqlUnsupportedError as exc:
        return "unsupported", exc.construct
    except EqlError as exc:
        return "error", str(exc)
    return "ok", ""


pytestmark = pytest.mark.corpus


def test_elastic_rules_all_compile(rules_dir: Path) -> None:
    rules = read_rules(rules_dir / "elastic_eql_rules.jsonl")
    start = time.perf_counter()
    failures = []
    active = 0
    for rule in rules:
        active += not rule.get("deprecated")
        kind, detail = outcome(rule["query"])
        if kind != "ok" and not rule.get("deprecated"):
            failures.append(f"{rule['rule_id']} {rule['name']}: {detail}")
    elapsed = time.perf_counter() - start
    print(f"\nelastic_eql_rules: {len(rules)} rules ({active} active) compiled in {elapsed:.1f}s")
    assert active >= 1000
    assert failures == []


def test_endpoint_rules_parse_or_name_the_unsupported_construct(rules_dir: Path) -> None:
    rules = read_rules(rules_dir / "endpoint_behavior_eql_rules.jsonl")
    counts: Counter[str] = Counter()
    constructs: Counter[str] = Counter()
    errors = []
    for rule in rules:
        kind, detail = outcome(rule["query"])
        counts[kind] += 1
        if kind == "unsupported":
            constructs[detail] += 1
        elif kind == "error":
            errors.append(f"{rule['rule_id']}: {detail}")
    print(f"\nendpoint_behavior_eql_rules: {dict(counts)}; unsupported: {dict(constructs)}")
    assert errors == []
    # Lineage and _arraysearch compile; only step aliases remain (docs/eql.md counts them).
    assert counts["ok"] == len(rules) - 70
    assert dict(constructs) == {"step alias (as)": 70}


def test_eqllib_analytics_compile_in_the_endgame_dialect(rules_dir: Path) -> None:
    rules = read_rules(rules_dir / "eqllib_analytics.jsonl")
    failures = [
        f"{rule['name']}: {detail}"
        for rule in rules
        for kind, detail in [outcome(rule["query"], "endgame")]
        if kind != "ok"
    ]
    assert failures == []
    assert len(rules) == 129


def test_eqllib_print_then_parse_gives_the_same_tree(rules_dir: Path) -> None:
    for rule in read_rules(rules_dir / "eqllib_analytics.jsonl"):
        tree = parse(rule["query"])
        assert parse(to_eql(tree)) == tree, rule["query"]


def test_sigma_rules(rules_dir: Path) -> None:
    rules = read_rules(rules_dir / "sigma_process_creation_eql.jsonl")
    report = {}
    errors: list[str] = []
    for key in ("eql_ecs", "eql_raw_fields"):
        counts: Counter[str] = Counter()
        for rule in rules:
            if not rule.get(key):
                counts["no query"] += 1  # the converter gave up on this rule
                continue
            kind, detail = outcome(rule[key])
            counts[kind] += 1
            if kind != "ok":
                errors.append(f"{rule['sigma_id']} {key}: {detail.splitlines()[0]}")
        report[key] = dict(counts)
    print(f"\nsigma_process_creation_eql: {report}")
    print("\n".join(errors))
    # The converter emits a few invalid queries (an unescaped quote inside a regex string,
    # Java-only regex syntax): they must fail with a located error, everything else compiles.
    assert len(errors) <= 30
    for counts in report.values():
        assert counts["ok"] >= len(rules) - counts.get("no query", 0) - 15


@pytest.mark.parametrize("name", ["elastic_eql_rules.jsonl", "endpoint_behavior_eql_rules.jsonl"])
def test_print_then_parse_gives_the_same_tree(rules_dir: Path, name: str) -> None:
    for rule in read_rules(rules_dir / name):
        tree = parse(rule["query"])
        assert parse(to_eql(tree)) == tree, rule["query"]


@pytest.mark.conformance
def test_conformance_queries(suites_dir: Path) -> None:
    failed = []
    total = 0
    for path in sorted(suites_dir.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            total += 1
            kind, detail = outcome(case["query"])
            if kind != "ok":
                failed.append(f"{path.stem}::{case['name']}: {detail}")
    print(f"\nconformance: {total - len(failed)}/{total} queries compile")
    print("\n".join(failed))
    assert failed == []
