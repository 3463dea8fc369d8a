"""Helpers: synthetic process trees in each schema profile, run through the Detector."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from kestrel_core.detector import Detector
from kestrel_core.events.profiles import get_profile
from kestrel_core.rules import Rule
from kestrel_eql import compile_query

#: How each profile writes a process start, a process end and another event of a process.
SHAPES = {
    "endgame": {
        "start": lambda pid, ppid, name: {
            "event_type": "process", "subtype": "create", "unique_pid": pid,
            "unique_ppid": ppid, "process_name": name,
        },
        "end": lambda pid: {"event_type": "process", "subtype": "terminate", "unique_pid": pid},
        "file": lambda pid, name: {"event_type": "file", "unique_pid": pid, "file_name": name},
    },
    "ecs": {
        "start": lambda pid, ppid, name: {
            "event": {"category": ["process"], "type": ["start"]},
            "process": {"entity_id": pid, "name": name, "parent": {"entity_id": ppid}},
        },
        "end": lambda pid: {
            "event": {"category": ["process"], "type": ["end"]}, "process": {"entity_id": pid},
        },
        "file": lambda pid, name: {
            "event": {"category": ["file"]}, "process": {"entity_id": pid},
            "file": {"name": name},
        },
    },
    "sysmon": {
        "start": lambda pid, ppid, name: {
            "EventID": 1, "ProcessGuid": pid, "ParentProcessGuid": ppid, "Image": name,
        },
        "end": lambda pid: {"EventID": 5, "ProcessGuid": pid},
        "file": lambda pid, name: {"EventID": 11, "ProcessGuid": pid, "TargetFilename": name},
    },
}  # fmt: skip

#: The lineage test queries per profile: (name field, file name field).
FIELDS = {
    "endgame": ("process_name", "file_name"),
    "ecs": ("process.name", "file.name"),
    "sysmon": ("Image", "TargetFilename"),
}


class Tree:
    """Builds the records of a synthetic process tree for one profile, in time order."""

    def __init__(self, profile: str) -> None:
        self.profile = profile
        self.shape = SHAPES[profile]
        self.records: list[dict[str, Any]] = []

    def _add(self, record: dict[str, Any]) -> dict[str, Any]:
        n = len(self.records) + 1
        if self.profile == "endgame":
            record["timestamp"] = 131_000_000_000_000_000 + n * 10_000
            record["serial_event_id"] = n
        elif self.profile == "ecs":
            record["@timestamp"] = 1_500_000_000_000 + n
        else:
            record["UtcTime"] = f"2020-01-01 00:{n // 60 % 60:02d}:{n % 60:02d}.{n % 1000:03d}"
            record["EventRecordID"] = n
        self.records.append(record)
        return record

    def start(self, pid: Any, ppid: Any, name: str) -> dict[str, Any]:
        return self._add(self.shape["start"](pid, ppid, name))

    def end(self, pid: Any) -> dict[str, Any]:
        return self._add(self.shape["end"](pid))

    def file(self, pid: Any, name: str) -> dict[str, Any]:
        return self._add(self.shape["file"](pid, name))


def detect(
    profile: str,
    queries: dict[str, str],
    records: Sequence[dict[str, Any]],
    *,
    runtime: str = "python",
    store: Any = None,
    dialect: str = "elasticsearch",
    batch: int = 64,
) -> dict[str, list[dict[str, Any]]]:
    """The records each query matches, run as ``kestrel run`` would (arrival order)."""
    from kestrel_core.plugins import PluginManager

    registry = PluginManager().load().registry
    schema = get_profile(profile)
    rules = [
        Rule(id=rule_id, name=rule_id, query=compile_query(text, dialect=dialect))
        for rule_id, text in queries.items()
    ]
    detector = Detector(
        rules,
        registry.get("predicate_runtime", runtime).factory(),
        schema,
        sequence_engine=registry.get("sequence_engine", "nfa").factory,
        store=store,
    )
    events = [schema.normalize(r, seq=i) for i, r in enumerate(records)]
    out: dict[str, list[dict[str, Any]]] = {rule_id: [] for rule_id in queries}
    for start in range(0, len(events), batch):
        for match in detector.process(events[start : start + batch]):
            out[match.rule_id].append(match.events[0].record)
    for match in detector.finish():
        out[match.rule_id].append(match.events[0].record)
    detect.last = detector  # type: ignore[attr-defined]
    return out


@pytest.fixture(params=["endgame", "ecs", "sysmon"])
def profile(request: pytest.FixtureRequest) -> str:
    return request.param
