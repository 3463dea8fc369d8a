"""The real data of ../shared/corpus: every sample decodes and normalizes with the sysmon profile.

The corpus is read in place (never copied). Its location defaults to ``../shared/corpus`` from
the project root and is overridden by ``KESTREL_CORPUS_DIR``; the tests skip when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kestrel_core.events.decoders import DecodeStats, iter_records
from kestrel_core.events.profiles import get_profile

pytestmark = pytest.mark.corpus

CORPUS = Path(
    os.environ.get("KESTREL_CORPUS_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
)


def corpus_path(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus not found at {path} (set KESTREL_CORPUS_DIR to its location)")
    return path


def test_sigma_regression_samples_normalize() -> None:
    root = corpus_path("sigma_regression")
    files = sorted(root.rglob("*.json"))
    assert files, f"no *.json under {root}"
    schema = get_profile("sysmon")
    stats = DecodeStats()
    events = []
    for file in files:
        for rec in iter_records(file, stats=stats):
            assert rec.ok, f"{rec.origin}: {rec.error}"
            events.append(schema.normalize(rec.record, len(events), rec.origin))
    assert stats.malformed == 0
    assert stats.records == len(events) >= len(files)
    process_creations = [e for e in events if str(e.get("EventID")) == "1"]
    assert process_creations
    for event in process_creations:
        assert event.categories == ("process",), event.origin
        assert event.get("Image"), event.origin
    assert all(e.timestamp is not None for e in events)
    assert all(schema.host_key(e) for e in events)


def test_sysmon_rta_normalizes_fully() -> None:
    path = corpus_path("events/sysmon-rta.json.gz")
    schema = get_profile("sysmon")
    stats = DecodeStats()
    count = 0
    for rec in iter_records(path, stats=stats):
        assert rec.ok, f"{rec.origin}: {rec.error}"
        event = schema.normalize(rec.record, count, rec.origin)
        assert event.timestamp is not None, rec.origin
        assert event.categories, rec.origin
        count += 1
    assert stats.malformed == 0
    assert stats.records == count > 30_000
