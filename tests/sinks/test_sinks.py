"""The stdout and file sinks."""

from __future__ import annotations

import io
import json

from kestrel_core.alerts import Alert
from kestrel_sinks.file import FileSink
from kestrel_sinks.stdout import StdoutSink


def alert(n: int, rule: str = "r") -> Alert:
    return Alert(f"id{n}", rule, "Rule", "high", 1_700_000_000_000_000_000 + n, ("k",), ({"n": n},))


def test_stdout_sink_writes_one_json_line_per_alert():
    buf = io.BytesIO()
    StdoutSink(stream=buf).send([alert(1), alert(2)])
    lines = buf.getvalue().decode().splitlines()
    assert [json.loads(line)["alert_id"] for line in lines] == ["id1", "id2"]
    first = json.loads(lines[0])
    assert first["timestamp"] == "2023-11-14T22:13:20.000000001Z"
    assert set(first) >= {"alert_id", "rule_id", "rule_name", "severity", "timestamp", "join_keys", "events"}


def test_file_sink_rotates_by_size_and_keeps_n(tmp_path):
    path = tmp_path / "alerts.ndjson"
    sink = FileSink(str(path), rotate_bytes=600, keep=2, fsync="never")
    for n in range(20):
        sink.send([alert(n)])
    sink.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["alerts.ndjson", "alerts.ndjson.1", "alerts.ndjson.2"]
    for p in tmp_path.iterdir():
        assert p.stat().st_size <= 600
    newest = [json.loads(x)["alert_id"] for x in path.read_text().splitlines()]
    assert newest[-1] == "id19"


def test_file_sink_suppresses_ids_it_already_holds(tmp_path):
    path = tmp_path / "alerts.ndjson"
    first = FileSink(str(path))
    first.send([alert(1), alert(2)])
    first.close()
    second = FileSink(str(path))
    second.send([alert(2), alert(3)])
    second.close()
    ids = [json.loads(x)["alert_id"] for x in path.read_text().splitlines()]
    assert ids == ["id1", "id2", "id3"]
    assert second.suppressed == 1


def test_file_sink_cuts_a_torn_last_line(tmp_path):
    path = tmp_path / "alerts.ndjson"
    sink = FileSink(str(path))
    sink.send([alert(1)])
    sink.close()
    with open(path, "ab") as fh:
        fh.write(b'{"alert_id": "id2", "rule')  # a crash mid-write
    again = FileSink(str(path))
    assert again.torn > 0
    again.send([alert(2)])
    again.close()
    ids = [json.loads(x)["alert_id"] for x in path.read_text().splitlines()]
    assert ids == ["id1", "id2"]


def test_file_sink_rejects_unknown_fsync_policy(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="fsync must be one of"):
        FileSink(str(tmp_path / "a"), fsync="sometimes")
