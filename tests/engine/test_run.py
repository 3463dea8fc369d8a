"""``kestrel run`` end to end on the bundled examples."""

from __future__ import annotations

import json
import shutil

import pytest

from .conftest import EXAMPLES, alerts_of, kestrel

EXPECTED = [
    "kestrel-example-web-shell-child",
    "kestrel-example-wasm-certutil-download",
    "kestrel-example-web-shell-download-exec",
    "kestrel-example-lsass-dump",
    "kestrel-example-lua-comsvcs-minidump",
]
PACKAGES = {"kestrel-example-wasm-certutil-download", "kestrel-example-lua-comsvcs-minidump"}


def test_quick_start_prints_the_example_alerts_and_stats():
    proc = kestrel("run", "--config", str(EXAMPLES / "kestrel.toml"))
    assert proc.returncode == 0, proc.stderr
    alerts = alerts_of(proc.stdout)
    assert [a["rule_id"] for a in alerts] == EXPECTED
    stats = json.loads(proc.stderr.strip().splitlines()[-1])
    assert stats["received"] == stats["decoded"] == stats["evaluated"] > 3000
    assert stats["alerts"] == 5 and stats["malformed"] == 0
    chain = alerts[2]
    assert [e["process"]["name"] for e in chain["events"]][:2] == ["cmd.exe", "certutil.exe"]
    assert chain["join_keys"] == [chain["events"][0]["host"]["id"]]
    assert chain["severity"] == "critical" and chain["runtime"] == "python"
    # hand-written packages run in their own runtimes and carry what pred_capture returned
    assert alerts[1]["runtime"] == "wasm" and "-urlcache" in alerts[1]["captures"]
    assert alerts[4]["runtime"] == "lua"
    assert alerts[4]["captures"] == {"target_pid": 644, "dump_file": "C:\\Windows\\Temp\\lsass-644.dmp"}


def test_options_override_the_config_and_two_workers_give_the_same_alerts():
    one = kestrel("run", "--rules", str(EXAMPLES / "rules"), "--events",
                  str(EXAMPLES / "events.ndjson"), "--workers", "1")
    two = kestrel("run", "--rules", str(EXAMPLES / "rules"), "--events",
                  str(EXAMPLES / "events.ndjson"), "--workers", "2")
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    assert alerts_of(one.stdout) == alerts_of(two.stdout)
    assert json.loads(two.stderr.strip().splitlines()[-1])["workers"] == 2


def test_two_workers_match_one_on_a_bigger_input(many_events):
    one = kestrel("run", "--rules", str(EXAMPLES / "rules"), "--events", str(many_events),
                  "--workers", "1")
    two = kestrel("run", "--rules", str(EXAMPLES / "rules"), "--events", str(many_events),
                  "--workers", "2")
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    a1, a2 = alerts_of(one.stdout), alerts_of(two.stdout)
    assert len(a1) == 200
    assert [a["alert_id"] for a in a1] == [a["alert_id"] for a in a2]


def test_malformed_lines_are_counted_and_the_rest_runs(tmp_path):
    events = tmp_path / "events.ndjson"
    good = (EXAMPLES / "events.ndjson").read_text().splitlines()
    events.write_text("\n".join([good[0], "{\"a\": }", "[1, 2]", *good[1:], "{\"trunc"]) + "\n")
    proc = kestrel("run", "--rules", str(EXAMPLES / "rules"), "--events", str(events),
                   "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stderr.strip().splitlines()[-1])
    assert stats["malformed"] == 3
    assert stats["decoded"] == len(good)
    assert "malformed event at" in proc.stderr and "events.ndjson:2" in proc.stderr
    assert [a["rule_id"] for a in alerts_of(proc.stdout)] == EXPECTED


def test_a_bad_rule_is_reported_and_the_others_run_unless_strict(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(EXAMPLES / "rules", rules)
    (rules / "broken.eql").write_text("process where process.name == \n")
    proc = kestrel("run", "--rules", str(rules), "--events", str(EXAMPLES / "events.ndjson"),
                   "--workers", "1")
    assert proc.returncode == 0
    assert "broken.eql" in proc.stderr and "^" in proc.stderr
    assert len(alerts_of(proc.stdout)) == 5
    strict = kestrel("run", "--strict", "--rules", str(rules), "--events",
                     str(EXAMPLES / "events.ndjson"), "--workers", "1")
    assert strict.returncode == 2
    assert alerts_of(strict.stdout) == []


def test_missing_runtime_stops_the_start_with_exit_2():
    proc = kestrel("run", "--runtime", "nonesuch", "--rules", str(EXAMPLES / "rules"),
                   "--events", str(EXAMPLES / "events.ndjson"))
    assert proc.returncode == 2
    assert "unknown predicate runtime 'nonesuch'; available:" in proc.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("runtime", ["python", "wasm", "lua"])
def test_each_runtime_gives_the_example_alerts(runtime, workers):
    proc = kestrel("run", "--config", str(EXAMPLES / "kestrel.toml"), "--runtime", runtime,
                   "--workers", workers)
    assert proc.returncode == 0, proc.stderr
    alerts = alerts_of(proc.stdout)
    assert [a["rule_id"] for a in alerts] == EXPECTED
    assert {a["runtime"] for a in alerts if a["rule_id"] not in PACKAGES} == {runtime}


def test_a_missing_event_file_is_a_usage_error(tmp_path):
    proc = kestrel("run", "--rules", str(EXAMPLES / "rules"), "--events",
                   str(tmp_path / "absent.ndjson"), "--workers", "1")
    assert proc.returncode == 2
    assert "absent.ndjson" in proc.stderr and "Traceback" not in proc.stderr
    query = kestrel("query", "process where true", str(tmp_path / "absent.ndjson"))
    assert query.returncode == 2 and "absent.ndjson" in query.stderr


def test_validate_checks_every_rule_format_in_its_own_runtime(tmp_path):
    ok = kestrel("validate", "--config", str(EXAMPLES / "kestrel.toml"))
    assert ok.returncode == 0, ok.stderr
    assert "5 rules loaded, 0 with errors" in ok.stderr
    bad = tmp_path / "bad.eql"
    bad.write_text("process where process.name == \n")
    proc = kestrel("validate", str(bad))
    assert proc.returncode == 2
    assert f"{bad}:1:30: expected a value after '=='" in proc.stderr
    assert proc.stderr.splitlines()[2].endswith("^")
