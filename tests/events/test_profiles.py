"""The ecs, endgame and sysmon profiles on records shaped like the real data, and the plugin."""

from __future__ import annotations

import pluggy
import pytest

from kestrel_core import PROJECT_NAME
from kestrel_core.builtins import profiles as profiles_plugin
from kestrel_core.errors import ConfigError
from kestrel_core.events.profiles import (
    PROFILES,
    SYSMON_CATEGORIES,
    get_profile,
    sysmon_view,
)
from kestrel_core.hookspecs import kestrel_schema_profiles
from kestrel_core.types import SchemaProfile

# An ECS process event as Elastic endpoint / winlogbeat write them (shortened).
ECS_RECORD = {
    "@timestamp": "2020-12-09T07:14:51.232Z",
    "event": {"category": ["process"], "type": ["start"], "sequence": 101},
    "process": {"name": "cmd.exe", "pid": 4, "parent": {"name": "explorer.exe"}},
    "host": {"id": "9a4c", "name": "WIN10"},
    "agent": {"id": "a1"},
}

# An Endgame record as in the conformance data set endgame-140.
ENDGAME_RECORD = {
    "event_subtype_full": "already_running",
    "event_type": "process",
    "opcode": 3,
    "pid": 4,
    "process_name": "System",
    "serial_event_id": 2,
    "subtype": "create",
    "timestamp": 131485996510000000,
    "unique_pid": 2,
}

# A flat Sysmon record as in sysmon-rta.json.gz.
SYSMON_FLAT = {
    "Image": "C:\\WINDOWS\\system32\\wbem\\wmiprvse.exe",
    "ProcessGuid": "{9C977984-B2FD-5C05-0000-0010974F0300}",
    "ProcessId": "480",
    "UtcTime": "2018-12-04 00:42:45.727",
    "RuleName": None,
    "EventId": 18,
    "PipeName": "\\srvsvc",
}


def evtx(event_id: object, event_data: dict[str, object] | None, **system: object) -> dict:
    """An evtx-dump record shaped like the sigma_regression samples."""
    sys_fields: dict[str, object] = {
        "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon", "Guid": "5770385F"}},
        "EventID": event_id,
        "Version": 5,
        "TimeCreated": {"#attributes": {"SystemTime": "2026-04-20T10:00:35.646624Z"}},
        "EventRecordID": 86918,
        "Correlation": None,
        "Execution": {"#attributes": {"ProcessID": 3208, "ThreadID": 1724}},
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Computer": "swachchhanda",
        "Security": {"#attributes": {"UserID": "S-1-5-18"}},
    }
    sys_fields.update(system)
    event: dict[str, object] = {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": sys_fields,
    }
    if event_data is not None:
        event["EventData"] = event_data
    return {"Event": event}


PROCESS_DATA = {
    "RuleName": "-",
    "UtcTime": "2026-04-20 10:00:35.640",
    "ProcessId": 6180,
    "Image": "C:\\Windows\\System32\\cmd.exe",
    "CommandLine": "cmd.exe /c whoami",
    "ParentImage": "C:\\Windows\\explorer.exe",
}


# --- ecs ---------------------------------------------------------------------------------------


def test_ecs() -> None:
    schema = get_profile("ecs")
    event = schema.normalize(ECS_RECORD)
    assert event.categories == ("process",)
    assert event.timestamp == 1607498091232000000
    assert event.tiebreaker is None  # opt-in, as in Elasticsearch
    assert event.fields is ECS_RECORD
    assert schema.host_key(event) == "9a4c"
    assert schema.host_fields == ("host.id", "agent.id", "host.name")


def test_ecs_conformance_shapes() -> None:
    """The conformance suites read event_type, epoch-ms strings and a ``sequence`` tiebreaker."""
    schema = get_profile("ecs", category_field="event_type", tiebreaker_field="sequence")
    event = schema.normalize({"@timestamp": "3", "event_type": "STAT", "sequence": 3})
    assert (event.categories, event.timestamp, event.tiebreaker) == (("STAT",), 3_000_000, 3)
    iso = schema.normalize({"@timestamp": "2022-05-04T12:00:00.001Z", "event_type": "test2"})
    assert iso.timestamp == 1651665600001000000
    sample = schema.normalize({"event_type": "alert", "host": "doom", "id": 1})
    assert sample.timestamp is None
    assert schema.host_key(sample) is None  # "host" is a string here, not an object


def test_ecs_event_sequence_tiebreaker() -> None:
    event = get_profile("ecs", tiebreaker_field="event.sequence").normalize(ECS_RECORD)
    assert event.tiebreaker == 101


# --- endgame -----------------------------------------------------------------------------------


def test_endgame() -> None:
    schema = get_profile("endgame")
    event = schema.normalize(ENDGAME_RECORD)
    assert event.categories == ("process",)
    assert event.timestamp == 1504126051000000000
    assert event.tiebreaker == 2
    assert event.fields["@timestamp"] == 131485996510000000 // 10000 - 11644473600000
    assert event.get("process_name") == "System"
    assert event.record is ENDGAME_RECORD
    assert "@timestamp" not in ENDGAME_RECORD


def test_endgame_date_nanos() -> None:
    """test_queries_date_nanos reads ``timestamp`` as epoch ns: @timestamp follows the format."""
    schema = get_profile("endgame", timestamp_format="epoch_ns")
    event = schema.normalize({**ENDGAME_RECORD, "timestamp": 1504126051123456789})
    assert event.timestamp == 1504126051123456789
    assert event.fields["@timestamp"] == 1504126051123


# --- sysmon ------------------------------------------------------------------------------------


def test_sysmon_flat() -> None:
    schema = get_profile("sysmon")
    event = schema.normalize(SYSMON_FLAT)
    assert event.categories == ("file",)  # 18: pipe connected
    assert event.timestamp == 1543884165727000000
    assert event.fields is SYSMON_FLAT
    assert event.tiebreaker is None
    assert schema.host_key(event) is None


@pytest.mark.parametrize("key", ["EventId", "EventID"])
def test_sysmon_flat_event_id_spellings(key: str) -> None:
    event = get_profile("sysmon").normalize({key: 1, "UtcTime": "2018-12-04 00:42:45.727"})
    assert event.categories == ("process",)


def test_sysmon_evtx_process_creation() -> None:
    schema = get_profile("sysmon")
    record = evtx(1, PROCESS_DATA)
    event = schema.normalize(record)
    assert event.categories == ("process",)
    # UtcTime (EventData) first, not TimeCreated
    assert event.timestamp == 1776679235640000000
    assert event.tiebreaker == 86918
    assert schema.host_key(event) == "swachchhanda"
    assert event.get("Image") == "C:\\Windows\\System32\\cmd.exe"
    assert event.get("CommandLine") == "cmd.exe /c whoami"
    assert event.get("Channel") == "Microsoft-Windows-Sysmon/Operational"
    assert event.get("TimeCreated.SystemTime") == "2026-04-20T10:00:35.646624Z"
    assert event.get("Provider.Name") == "Microsoft-Windows-Sysmon"
    assert event.get("Execution.ProcessID") == 3208
    assert event.get("Event.EventData.Image") == "C:\\Windows\\System32\\cmd.exe"
    assert event.record is record
    assert "Image" not in record


def test_sysmon_evtx_without_utctime_uses_system_time() -> None:
    event = get_profile("sysmon").normalize(evtx(13, {"TargetObject": "HKLM\\x"}))
    assert event.categories == ("registry",)
    assert event.timestamp == 1776679235646624000


def test_sysmon_event_data_wins_on_clash() -> None:
    view = sysmon_view(evtx(1, {"Computer": "from-data", "ProcessId": 1}))
    assert view["Computer"] == "from-data"


@pytest.mark.parametrize(
    "event_id", [1, "1", {"#text": "1"}, {"#text": "1", "#attributes": {"Qualifiers": ""}}]
)
def test_sysmon_event_id_forms(event_id: object) -> None:
    event = get_profile("sysmon").normalize(evtx(event_id, PROCESS_DATA))
    assert event.categories == ("process",)


def test_sysmon_other_providers_get_no_category() -> None:
    record = evtx(
        1,
        {"SubjectUserName": "xodih"},
        Provider={"#attributes": {"Name": "Microsoft-Windows-Kernel-General"}},
    )
    event = get_profile("sysmon").normalize(record)
    assert event.categories == ()
    assert event.get("SubjectUserName") == "xodih"


def test_sysmon_user_data_and_attributes() -> None:
    """The WMI-Activity sample has UserData, the TaskScheduler one an EventData #attributes."""
    record = evtx(5858, None)
    record["Event"]["UserData"] = {
        "Operation_ClientFailure": {"#attributes": {"xmlns": "x"}, "Operation": "Start", "Id": "1"}
    }
    view = sysmon_view(record)
    assert view["Operation"] == "Start"
    assert "#attributes" not in view
    view = sysmon_view(evtx(142, {"#attributes": {"Name": "TaskDisabled"}, "TaskName": "\\SR"}))
    assert view["TaskName"] == "\\SR"
    assert "#attributes" not in view


def test_sysmon_data_list_form() -> None:
    data = {
        "Data": [{"#attributes": {"Name": "Image"}, "#text": "a.exe"}, {"@Name": "X", "#text": 1}]
    }
    view = sysmon_view(evtx(1, data))
    assert (view["Image"], view["X"]) == ("a.exe", 1)


def test_sysmon_table_covers_1_to_29() -> None:
    assert sorted(SYSMON_CATEGORIES) == list(range(1, 30))
    expected = {1: "process", 3: "network", 5: "process", 6: "driver", 7: "library", 8: "process",
                11: "file", 12: "registry", 13: "registry", 14: "registry", 22: "dns", 23: "file",
                26: "file"}  # fmt: skip
    for event_id, category in expected.items():
        assert SYSMON_CATEGORIES[event_id] == (category,)


def test_sysmon_unknown_event_id() -> None:
    event = get_profile("sysmon").normalize({"EventID": 255, "UtcTime": "2018-12-04 00:42:45"})
    assert event.categories == ()
    event = get_profile("sysmon").normalize({"EventID": "abc"})
    assert event.categories == ()


# --- lookup by name and the plugin -------------------------------------------------------------


def test_get_profile_names_and_overrides() -> None:
    assert get_profile(" ECS ").name == "ecs"
    schema = get_profile("sysmon", timestamp_field="TimeCreated.SystemTime")
    assert schema.timestamp_fallbacks == ()
    assert get_profile("endgame", category_field=None).category_field == "event_type"


def test_get_profile_unknown() -> None:
    with pytest.raises(ConfigError, match=r"unknown schema profile 'ocsf'.*ecs, endgame, sysmon"):
        get_profile("ocsf")


def test_plugin_registers_profiles() -> None:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(type("Specs", (), {"kestrel_schema_profiles": kestrel_schema_profiles}))
    pm.register(profiles_plugin, name="undo-profiles")
    try:
        found = [p for batch in pm.hook.kestrel_schema_profiles() for p in batch]
    finally:
        pm.unregister(name="undo-profiles")
    assert [p.name for p in found] == list(PROFILES)
    for profile in found:
        assert isinstance(profile, SchemaProfile)
        assert profile.description
        schema = profile.factory(tiebreaker_field="x")
        assert (schema.name, schema.tiebreaker_field) == (profile.name, "x")
