"""eqllib's analytics (Endgame dialect) over the shared normalized events (``endgame`` profile).

Every analytic must compile and run; the alert count of each is printed (``-s``) and the
total is pinned so that a change in semantics shows up here.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from kestrel_core.events.profiles import get_profile
from kestrel_core.hunt import HuntOptions, compile_eql, run_query
from kestrel_core.inputs import InputStats, read_events

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = Path(os.environ.get("KESTREL_CORPUS_DIR", SHARED / "corpus"))

pytestmark = pytest.mark.corpus


def test_eqllib_analytics_alert_counts(registry) -> None:
    rules_path = CORPUS / "rules" / "eqllib_analytics.jsonl"
    files = sorted(str(p) for p in (CORPUS / "events").glob("normalized-*.json*"))
    if not rules_path.is_file() or not files:
        pytest.skip(f"{CORPUS} has no eqllib analytics or normalized events")
    schema = get_profile("endgame")
    events = list(read_events(files, schema, InputStats(), report=lambda m: None))
    options = HuntOptions(schema="endgame", dialect="endgame")
    counts: dict[str, int] = {}
    start = time.perf_counter()
    with rules_path.open(encoding="utf-8") as handle:
        analytics = [json.loads(line) for line in handle if line.strip()]
    for analytic in analytics:
        query = compile_eql(analytic["query"], "endgame")
        counts[f"{analytic['name']} ({analytic['id'][:8]})"] = len(
            run_query(registry, query, events, schema, options)
        )
    elapsed = time.perf_counter() - start
    print(f"\neqllib: {len(analytics)} analytics over {len(events)} events in {elapsed:.1f}s")
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        print(f"{count:5d}  {name}")
    assert len(counts) == len(analytics) == 129
    assert sum(counts.values()) == 138
    assert sum(1 for c in counts.values() if c) == 40
