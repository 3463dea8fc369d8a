"""``kestrel run --schema sysmon`` with every Sigma rule over the recorded Sysmon events.

The Sigma process-creation rules (Sysmon field names) are written out as ``.eql`` files with
their metadata, and both recorded Sysmon files are replayed with one and with two workers: the
alerts must be the same. Reads ``../shared/corpus`` in place (``KESTREL_CORPUS_DIR``); skips,
saying why, when it is absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT, alerts_of, kestrel

CORPUS = Path(os.environ.get("KESTREL_CORPUS_DIR", ROOT.parent / "shared" / "corpus"))
RULES = CORPUS / "rules" / "sigma_process_creation_eql.jsonl"
EVENTS = [CORPUS / "events" / "sysmon-rta.json.gz", CORPUS / "events" / "sysmon-atomic-red-team.json.gz"]

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not RULES.exists(), reason=f"corpus not found at {CORPUS} (set KESTREL_CORPUS_DIR)"),
]


@pytest.fixture(scope="module")
def sigma_rules(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sigma")
    for line in RULES.read_text().splitlines():
        rule = json.loads(line)
        query = rule.get("eql_raw_fields")
        if not query:
            continue
        meta = {
            "id": rule["sigma_id"],
            "name": rule["title"],
            "severity": {"informational": "low"}.get(rule.get("level"), rule.get("level") or "medium"),
            "tags": rule.get("tags", []),
            "author": rule.get("author"),
        }
        block = yaml.safe_dump(meta, sort_keys=False).replace("*/", "* /")
        (folder / f"{rule['sigma_id']}.eql").write_text(f"/*\n{block}*/\n{query}\n")
    return folder


def _run(rules: Path, workers: int, events: Path) -> tuple[list[dict], dict, str]:
    proc = kestrel("run", "--schema", "sysmon", "--rules", str(rules), "--events", str(events),
                   "--workers", str(workers))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return alerts_of(proc.stdout), json.loads(proc.stderr.strip().splitlines()[-1]), proc.stderr


@pytest.mark.parametrize("events", EVENTS, ids=lambda p: p.name)
def test_sigma_rules_over_sysmon_events_same_alerts_with_one_and_two_workers(sigma_rules, events):
    one, stats1, err = _run(sigma_rules, 1, events)
    two, stats2, _ = _run(sigma_rules, 2, events)
    assert stats1["malformed"] == 0 and stats1["received"] == stats2["received"] > 10_000
    assert stats1["rules"]["loaded"] > 1_600
    assert stats1["rules"]["failed"] < 20, err[-3000:]  # the converter's own broken queries
    assert len(one) > 100
    assert [a["alert_id"] for a in one] == [a["alert_id"] for a in two]
    print(f"{events.name}: {stats1['received']} events, {len(one)} alerts, "
          f"{stats1['rules']['loaded']} rules, {stats1['events_per_s']} events/s (1 worker), "
          f"{stats2['events_per_s']} events/s (2 workers)")
