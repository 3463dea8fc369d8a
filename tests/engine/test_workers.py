"""``--workers 2``: raw lines to the workers, the same alerts and malformed reports as one."""

from __future__ import annotations

from pathlib import Path

from kestrel_core.config import Config
from kestrel_core.engine import Engine

from .conftest import EXAMPLES
from .test_live import ListSink


def _run(path: Path, workers: int) -> tuple[list[str], dict, list[str]]:
    sink, messages = ListSink(), []
    engine = Engine(
        Config(workers=workers, rule_paths=[str(EXAMPLES / "rules")]),
        sinks=[sink],
        report=messages.append,
    )
    engine.run_files([str(path)])
    stats = engine.close()
    return [a.alert_id for a in sink.alerts], stats, messages


def test_two_workers_report_malformed_records_as_one_does(tmp_path: Path) -> None:
    good = (EXAMPLES / "events.ndjson").read_text().splitlines()
    odd = [
        '{"a": }',  # not JSON: the reader decodes it, then sets it aside
        "[1, 2]",
        '{"@timestamp":"yesterday","host":{"id":"h1"}}',  # fails in a worker
        "",
        "{",  # a pretty-printed object across lines
        '  "@timestamp": "2024-05-01T00:00:01Z", "host": {"id": "h2"},',
        '  "event": {"category": "process"}',
        "}",
        '{"host":{"id":"h3"},"x":{"b":1}',  # truncated (reads as a whole object to the bytes)
    ]
    lines = good[:100] + odd + good[100:2000] + odd[:3] + good[2000:] + ['{"host":{"id":"h4"']
    events = tmp_path / "events.ndjson"
    events.write_text("\n".join(lines) + "\n")
    one, stats1, msgs1 = _run(events, 1)
    two, stats2, msgs2 = _run(events, 2)
    assert one and one == two
    assert stats2["workers"] == 2 and stats2["misrouted"] == 0
    for key in ("received", "decoded", "malformed"):
        assert stats1[key] == stats2[key], key
    assert stats1["malformed"] == 8
    located = [m.split(": ", 2)[1] for m in msgs1 if "malformed event at" in m]
    assert located == [m.split(": ", 2)[1] for m in msgs2 if "malformed event at" in m]
    assert [m for m in msgs1 if "malformed" in m and "truncated" not in m] == [
        m for m in msgs2 if "malformed" in m and "truncated" not in m
    ]
