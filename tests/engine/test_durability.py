"""The sqlite state store: checkpoints, restore, and restarts that lose nothing and repeat nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from kestrel_core.state.sqlite import SqliteStore

from .conftest import EXAMPLES


def test_checkpoint_and_restore_round_trip(tmp_path):
    db = tmp_path / "state.db"
    store = SqliteStore(str(db), max_partials_per_rule=3)
    for n in range(5):  # two get evicted by the per-rule quota
        store.put("r1", (f"k{n}",), {"partial": [n, {"rec": n}]}, size=1, deadline=100 + n)
    store.put("r2", ("x", 1), ("tuple", None), size=2)
    store.delete("r2", ("x", 1))
    store.put("r2", ("y", 2), [1, 2], size=1, deadline=50)
    store.set_meta("watermark", 1234)
    store.checkpoint({"file": "a", "records": 10})
    store.put("r1", ("late",), "not checkpointed")  # lost with the crash below
    store.close()

    again = SqliteStore(str(db), max_partials_per_rule=3)
    assert again.restore() == {"file": "a", "records": 10}
    assert [k for k, _ in again.items("r1")] == [("k2",), ("k3",), ("k4",)]
    assert again.get("r1", ("k4",)) == {"partial": [4, {"rec": 4}]}
    assert again.get("r2", ("x", 1)) is None and again.get("r2", ("y", 2)) == [1, 2]
    assert again.get_meta("watermark") == 1234
    assert again.stats()["rules"]["r1"]["evictions"] == 2
    expired = again.expire(103)
    assert [(e.rule_id, e.key) for e in expired] == [("r2", ("y", 2)), ("r1", ("k2",))]
    again.checkpoint({"file": "a", "records": 11})
    again.close()
    third = SqliteStore(str(db))
    third.restore()
    assert third.get("r1", ("k2",)) is None and third.get("r2", ("y", 2)) is None
    third.close()


def test_a_fresh_database_restores_nothing(tmp_path):
    store = SqliteStore(str(tmp_path / "new.db"))
    assert store.restore() is None
    assert (tmp_path / "new.db").stat().st_mode & 0o077 == 0
    store.close()


def _config(tmp_path: Path, events: Path, name: str) -> Path:
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(
        f"""
[engine]
workers = 1

[rules]
paths = ["{EXAMPLES / 'rules'}"]

[state]
type = "sqlite"
path = "{tmp_path / (name + '.db')}"
checkpoint_interval = 0.05

[[sources]]
type = "file"
path = "{events}"

[[sinks]]
type = "file"
path = "{tmp_path / (name + '.alerts.ndjson')}"
fsync = "batch"
"""
    )
    return cfg


def _start(cfg: Path) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("kestrel")
    return subprocess.Popen(
        [str(exe), "run", "--config", str(cfg), "--batch-size", "256"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["alert_id"] for line in path.read_text().splitlines() if line]


def _wait_for_alerts(path: Path, proc: subprocess.Popen, n: int, timeout: float = 160) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {n} alerts: {proc.stderr.read()}")
        if len(_ids(path)) >= n:
            return
        time.sleep(0.02)
    raise AssertionError("no alerts in time")


def _reference(tmp_path: Path, events: Path) -> list[str]:
    proc = _start(_config(tmp_path, events, "reference"))
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    ids = _ids(tmp_path / "reference.alerts.ndjson")
    assert len(ids) == 200
    return ids


def test_sigkill_mid_stream_then_restart_loses_nothing_and_repeats_nothing(tmp_path, many_events):
    reference = _reference(tmp_path, many_events)
    cfg = _config(tmp_path, many_events, "crash")
    alerts = tmp_path / "crash.alerts.ndjson"
    proc = _start(cfg)
    _wait_for_alerts(alerts, proc, 30)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    before = _ids(alerts)
    assert 30 <= len(before) < 200, "the kill must land mid-stream"

    proc = _start(cfg)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    after = _ids(alerts)
    assert len(after) == len(set(after)), "no alert twice"
    assert sorted(after) == sorted(reference)
    stats = json.loads(err.strip().splitlines()[-1])
    assert stats["checkpoints"] >= 1
    # Alerts completed after the last checkpoint are sent again and the file sink drops them.
    sink = stats["sinks"]["file"]
    assert sink["written"] == 200 - len(before)
    assert sink["delivered"] == sink["written"] + sink["suppressed"]


def test_sigterm_drains_flushes_and_checkpoints_then_restart_completes(tmp_path, many_events):
    reference = _reference(tmp_path, many_events)
    cfg = _config(tmp_path, many_events, "term")
    alerts = tmp_path / "term.alerts.ndjson"
    proc = _start(cfg)
    _wait_for_alerts(alerts, proc, 20)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "SIGTERM: stopping" in err
    stats = json.loads(err.strip().splitlines()[-1])
    first = _ids(alerts)
    assert stats["alerts"] == len(first) < 200, "sinks flushed: every alert counted is in the file"
    assert stats["received"] < 160_000

    proc = _start(cfg)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    after = _ids(alerts)
    assert len(after) == len(set(after)) and sorted(after) == sorted(reference)
