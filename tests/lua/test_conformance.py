"""Every event query of the Elasticsearch EQL suites: lua hits equal python hits."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SUITES = (
    "test_queries",
    "additional_test_queries",
    "test_queries_date",
    "test_queries_date_nanos",
    "test_extra",
)
ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = Path(
    os.environ.get("KESTREL_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance")
)
SUITE_DIR = CONFORMANCE / "elasticsearch" / "suites"


def _cases() -> list[tuple[str, dict]]:
    if not SUITE_DIR.is_dir():
        return []
    out = []
    for suite in SUITES:
        path = SUITE_DIR / f"{suite}.json"
        if path.is_file():
            for case in json.loads(path.read_text("utf-8")):
                query = case["query"].lstrip().lower()
                if not query.startswith(("sequence", "sample", "join")):
                    out.append((suite, case))
    return out


CASES = _cases()


@pytest.mark.skipif(not CASES, reason=f"conformance suites not found in {SUITE_DIR}")
@pytest.mark.parametrize(
    ("suite", "case"), CASES, ids=[f"{s}:{c['name']}" for s, c in CASES] or None
)
def test_lua_hits_equal_python_hits(suite: str, case: dict) -> None:  # pragma: no cover - data
    from kestrel_core.errors import KestrelError
    from kestrel_core.runtime.interpreter import matches
    from kestrel_eql import compile_query

    try:
        query = compile_query(case["query"])
    except KestrelError as exc:
        pytest.skip(f"kestrel-eql rejects the query: {exc}")
    if query.kind != "event":
        pytest.skip("not an event query")
    from kestrel_core import ir
    from kestrel_lua.runtime import LuaRuntime

    events = _dataset_events(suite)
    preds = ir.predicates_for([("q", query)])
    compiled = LuaRuntime().compile(preds, None)
    got = [i for i, _ in compiled.evaluate(events)]
    cat = preds[0].category
    want = [
        i
        for i, e in enumerate(events)
        if (cat is None or cat in e.categories) and matches(preds[0].condition, e)
    ]
    assert compiled.stats()["faults"] == 0
    assert got == want


_DATA: dict[str, list] = {}


def _dataset_events(suite: str) -> list:
    """The suite's dataset read with the endgame schema profile."""
    if suite in _DATA:
        return _DATA[suite]
    from kestrel_core.events.schema import Schema

    data = "extra" if suite == "test_extra" else "endgame-140"
    records = json.loads(
        (CONFORMANCE / "elasticsearch" / "data" / f"{data}.events.json").read_text()
    )
    if suite == "test_extra":
        schema = Schema("extra", "event_type", "@timestamp", "epoch_ms", "sequence")
    elif suite == "test_queries_date_nanos":
        schema = Schema("nanos", "event_type", "timestamp", "epoch_ns", "serial_event_id")
    else:
        schema = Schema(
            "endgame",
            "event_type",
            "timestamp",
            "filetime",
            "serial_event_id",
            timestamp_ms_field="@timestamp",
        )
    _DATA[suite] = [schema.normalize(r, i) for i, r in enumerate(records)]
    return _DATA[suite]
