"""The live parts of the engine: following a file, hot reload, back-pressure, failing sinks."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from kestrel_core.config import Config
from kestrel_core.engine import Engine
from kestrel_core.engine.bus import EventBus

from .conftest import EXAMPLES

SHELL_RULE = 'process where process.name == "cmd.exe" and process.parent.name == "w3wp.exe"\n'
WHOAMI_RULE = 'process where process.name == "whoami.exe"\n'


def event(n: int, name: str, parent: str = "explorer.exe") -> dict:
    return {
        "@timestamp": f"2024-05-01T00:00:{n % 60:02d}.000Z",
        "event": {"category": ["process"], "type": ["start"]},
        "host": {"id": "h1"},
        "process": {"name": name, "pid": n, "parent": {"name": parent}},
    }


class ListSink:
    """Keeps what it is sent."""

    def __init__(self) -> None:
        self.alerts: list = []

    def send(self, alerts) -> None:
        self.alerts.extend(alerts)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class BrokenSink(ListSink):
    """Always fails."""

    def send(self, alerts) -> None:
        raise ConnectionError("collector unreachable")


def make_engine(
    tmp_path: Path, rule: str, sinks: list, input_ends: bool = True, **config
) -> Engine:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "rule.eql").write_text(rule)
    cfg = Config(rule_paths=[str(rules)], workers=1, **config)
    return Engine(cfg, sinks=sinks, report=lambda _m: None, input_ends=input_ends)


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def test_follow_reads_appended_lines_and_survives_rotation_and_truncation(tmp_path):
    sink = ListSink()
    engine = make_engine(tmp_path, WHOAMI_RULE, [sink])
    log = tmp_path / "events.ndjson"
    log.write_text(json.dumps(event(1, "whoami.exe")) + "\n")
    thread = threading.Thread(target=engine.run_files, args=([str(log)],), kwargs={"follow": True})
    thread.start()
    try:
        wait_for(lambda: len(sink.alerts) == 1)
        with open(log, "a") as fh:  # appended, in two writes: a partial line waits
            line = json.dumps(event(2, "whoami.exe"))
            fh.write(line[:20])
            fh.flush()
            time.sleep(0.3)
            fh.write(line[20:] + "\n")
        wait_for(lambda: len(sink.alerts) == 2)
        log.rename(tmp_path / "events.ndjson.1")  # rotated
        log.write_text(json.dumps(event(3, "whoami.exe")) + "\n")
        wait_for(lambda: len(sink.alerts) == 3)
        log.write_text("")  # truncated, then written again
        time.sleep(0.5)
        log.write_text(json.dumps(event(4, "whoami.exe")) + "\n")
        wait_for(lambda: len(sink.alerts) == 4)
    finally:
        engine.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert [a.events[0]["process"]["pid"] for a in sink.alerts] == [1, 2, 3, 4]


def test_hot_reload_applies_a_good_change_and_rejects_a_bad_one(tmp_path):
    sink = ListSink()
    engine = make_engine(tmp_path, SHELL_RULE, [sink])
    rule_file = tmp_path / "rules" / "rule.eql"
    schema = engine.schema
    shell = schema.normalize(event(1, "cmd.exe", "w3wp.exe"), seq=0)
    whoami = schema.normalize(event(2, "whoami.exe"), seq=1)
    assert [a.rule_id for a in engine.process([shell, whoami])] == ["rule"]

    rule_file.write_text(WHOAMI_RULE)
    assert engine.reload() is True
    assert [a.events[0]["process"]["pid"] for a in engine.process([shell, whoami])] == [2]

    rule_file.write_text("process where process.name == \n")  # broken
    assert engine.reload() is False
    internal = sink.alerts[-1]
    assert internal.rule_id == "kestrel-internal-rule-reload-failed"
    assert "rule.eql" in internal.events[0]["kestrel"]["failures"][0]
    assert [a.events[0]["process"]["pid"] for a in engine.process([shell, whoami])] == [2]
    stats = engine.close()
    assert stats["rules"]["reloads"] == 1 and stats["rules"]["reloads_failed"] == 1


def test_rule_file_changes_are_noticed_by_polling(tmp_path):
    sink = ListSink()
    engine = make_engine(tmp_path, SHELL_RULE, [sink], reload_interval=0.01)
    (tmp_path / "rules" / "rule.eql").write_text(WHOAMI_RULE)
    time.sleep(0.05)
    engine._maybe_reload()
    assert engine.reloads == 1
    whoami = engine.schema.normalize(event(2, "whoami.exe"), seq=0)
    assert len(engine.process([whoami])) == 1


class SlowReader:
    """Yields n numbered events as fast as it can."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        yield from range(self.n)


@pytest.mark.parametrize("policy", ["block", "drop"])
def test_back_pressure_policies(policy):
    bus = EventBus(SlowReader(5000), batch_size=10, queue_size=1, policy=policy)
    seen = 0
    for batch in bus:
        seen += len(batch.events)
        time.sleep(0.001)  # a detector slower than the reader
    if policy == "block":
        assert seen == 5000 and bus.stats.dropped_events == 0
    else:
        assert bus.stats.dropped_events > 0
        assert seen + bus.stats.dropped_events == 5000
        assert bus.stats.dropped_batches * 10 == bus.stats.dropped_events


def test_a_failing_sink_is_retried_counted_and_does_not_stop_the_others(tmp_path):
    good, bad = ListSink(), BrokenSink()
    engine = make_engine(tmp_path, SHELL_RULE, [good, bad])
    engine.sinks[1].backoff_s = 0.001
    engine.run_files([str(EXAMPLES / "events.ndjson")])
    stats = engine.close()
    assert len(good.alerts) == 1
    failing = stats["sinks"]["BrokenSink"]
    assert failing["failed"] == 1 and failing["retried"] == 3
    assert failing["last_error"] == "ConnectionError: collector unreachable"


def test_following_refuses_rules_whose_pipes_need_the_whole_input(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "count.eql").write_text(
        "/*\ndialect: endgame\n*/\nprocess where true | count process.name\n"
    )
    (rules / "plain.eql").write_text(WHOAMI_RULE)
    reports: list[str] = []
    engine = Engine(
        Config(rule_paths=[str(rules)], workers=1), sinks=[], report=reports.append,
        input_ends=False,
    )
    assert [r.id for r in engine.rules] == ["plain"]
    assert any("count.eql" in m and "needs the whole input" in m for m in reports)


def test_count_pipe_alerts_carry_count_key_and_percent(tmp_path):
    sink = ListSink()
    rule = "/*\ndialect: endgame\n*/\nprocess where true | count process.name\n"
    engine = make_engine(tmp_path, rule, [sink])
    schema = engine.schema
    engine.process([schema.normalize(event(i, "a.exe" if i < 3 else "b.exe"), seq=i) for i in range(4)])
    engine.finish()
    shapes = sorted((a.to_dict()["key"], a.to_dict()["count"]) for a in sink.alerts)
    assert shapes == [("a.exe", 3), ("b.exe", 1)]


def test_a_rule_the_runtime_cannot_compile_is_reported_and_the_others_run(tmp_path, monkeypatch):
    from kestrel_core.errors import CompileError
    from kestrel_core.runtime.python.compiled import PythonRuntime

    original = PythonRuntime.compile

    def picky(self, predicates, schema):
        if any(p.rule_id == "bad" for p in predicates):
            raise CompileError("rule 'bad': this runtime cannot compile it")
        return original(self, predicates, schema)

    monkeypatch.setattr(PythonRuntime, "compile", picky)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "good.eql").write_text(WHOAMI_RULE)
    (rules / "bad.eql").write_text(SHELL_RULE)
    reports: list[str] = []
    engine = Engine(Config(rule_paths=[str(rules)], workers=1), sinks=[], report=reports.append)
    assert [r.id for r in engine.rules] == ["good"]
    assert any("bad.eql" in m and "cannot compile" in m for m in reports)
    assert engine.stats()["rules"]["failed"] == 1


def test_profiling_reports_evaluation_time_per_rule_and_keeps_the_alerts():
    plain = Engine(Config(rule_paths=[str(EXAMPLES / "rules")], workers=1), sinks=[])
    plain.run_files([str(EXAMPLES / "events.ndjson")])
    profiled = Engine(
        Config(rule_paths=[str(EXAMPLES / "rules")], workers=1, profile=True), sinks=[]
    )
    profiled.run_files([str(EXAMPLES / "events.ndjson")])
    stats, plain_stats = profiled.close(), plain.close()
    assert "profile" not in plain_stats
    assert set(stats["profile"]) == {r.id for r in profiled.rules}
    assert all(v["seconds"] > 0 for v in stats["profile"].values())
    assert stats["per_rule_alerts"] == plain_stats["per_rule_alerts"]


def test_rules_given_in_code_reach_the_workers():
    from kestrel_core.rules import Rule
    from kestrel_eql import compile_query

    rule = Rule(id="certutil", name="certutil", query=compile_query(
        'process where process.name == "certutil.exe"'))
    counts = []
    for workers in (1, 2):
        sink = ListSink()
        engine = Engine(Config(workers=workers), rules=[rule], sinks=[sink], report=lambda _m: None)
        engine.run_files([str(EXAMPLES / "events.ndjson")])
        engine.close()
        counts.append([a.alert_id for a in sink.alerts])
    assert counts[0] and counts[0] == counts[1]
