"""Every event query of the Elasticsearch EQL suites: wasm hits == reference interpreter hits.

Reads ``$KESTREL_CONFORMANCE_DIR`` (default ``../shared/conformance``) in place; skips when it,
or kestrel-eql, is absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kestrel_core import ir
from kestrel_core.errors import KestrelError
from kestrel_core.inputs import InputStats, read_events
from kestrel_core.runtime.interpreter import matches

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = Path(
    os.environ.get("KESTREL_CONFORMANCE_DIR", ROOT.parent / "shared" / "conformance")
)
ES = CONFORMANCE / "elasticsearch"
FLAT = {
    "category_field": "event_type",
    "timestamp_field": "@timestamp",
    "tiebreaker_field": "sequence",
}
#: suite -> (data file, schema profile, overrides)
SUITES = {
    "test_queries": ("endgame-140.events.json", "endgame", {}),
    "additional_test_queries": ("endgame-140.events.json", "endgame", {}),
    "test_queries_date": ("endgame-140.events.json", "endgame", {}),
    "test_queries_date_nanos": (
        "endgame-140.events.json",
        "endgame",
        {"timestamp_format": "epoch_ns"},
    ),
    "test_extra": ("extra.events.json", "ecs", FLAT),
}

pytestmark = pytest.mark.conformance


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_event_queries_match_interpreter(runtime, suite):
    if not ES.is_dir():
        pytest.skip(f"conformance suites not found at {ES} (set KESTREL_CONFORMANCE_DIR)")
    compile_query = pytest.importorskip("kestrel_eql").compile_query
    from kestrel_core.events.profiles import get_profile

    data, profile, overrides = SUITES[suite]
    schema = get_profile(profile, **overrides)
    events = list(
        read_events([str(ES / "data" / data)], schema, InputStats(), report=lambda m: None)
    )
    cases = json.loads((ES / "suites" / f"{suite}.json").read_text())
    preds: list[ir.Predicate] = []
    for case in cases:
        if case["query"].lstrip().split(None, 1)[0].lower() in {"sequence", "sample", "join"}:
            continue
        try:
            query = compile_query(case["query"])
        except KestrelError:
            continue
        if query.kind == "event":
            preds += ir.predicates_for([(case["name"], query)])
    preds = [
        ir.Predicate(i, p.rule_id, p.step, p.category, p.condition) for i, p in enumerate(preds)
    ]
    assert preds
    hits = runtime.compile(preds, schema).evaluate(events)
    want = [
        (e, p.id)
        for e, event in enumerate(events)
        for p in preds
        if (p.category is None or p.category in event.categories) and matches(p.condition, event)
    ]
    assert len(hits) == len(want)
    assert hits == want
