"""The example plugin, tested the way a third-party plugin author would test theirs."""

from __future__ import annotations

import json

import pytest

from kestrel_core.alerts import Alert
from kestrel_core.plugins import PluginManager
from kestrel_example_sink import plugin as example


def _alert(rule_id: str) -> Alert:
    return Alert(
        alert_id=f"id-{rule_id}",
        rule_id=rule_id,
        rule_name=rule_id,
        severity="low",
        timestamp=0,
        join_keys=(),
        events=({},),
    )


def test_sink_counts_alerts_per_rule(tmp_path):
    sink = example.RuleCountSink(path=str(tmp_path / "counts.json"))
    sink.send([_alert("a"), _alert("b"), _alert("a")])
    sink.close()
    assert json.loads((tmp_path / "counts.json").read_text()) == {"a": 2, "b": 1}


@pytest.fixture
def pm():
    manager = PluginManager(autoload=False).load()
    manager.register(example, name="undo-example-sink")
    try:
        yield manager
    finally:
        manager.unregister("undo-example-sink")


def test_plugin_registers_the_sink(pm):
    component = pm.registry.get("alert_sink", "rule_counts")
    assert component.factory is example.RuleCountSink
    assert component.description == "Count alerts per rule and write the counts as JSON when the engine stops."


def test_installed_entry_point_is_discovered():
    pm = PluginManager().load()
    info = next(p for p in pm.plugins if p.distribution == "kestrel-example-sink")
    pm.registry  # noqa: B018
    assert info.status == "active"
    assert info.components == {"alert_sink": ["rule_counts"]}
