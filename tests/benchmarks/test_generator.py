"""The benchmark event generator: deterministic, ECS-shaped, with its attack chains inside.

Only the generator is tested here; the benchmarks themselves never run in the test suite.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from benchmarks.generator import Generator, GeneratorConfig, write_ndjson

ROOT = Path(__file__).resolve().parents[2]
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
#: The committed example file is this configuration's output.
EXAMPLE = GeneratorConfig(events=4000, seed=14, attacks=2)


def generate(config: GeneratorConfig) -> tuple[list[dict[str, Any]], Generator]:
    gen = Generator(config)
    return list(gen.events()), gen


@pytest.fixture(scope="module")
def sample() -> tuple[list[dict[str, Any]], Generator]:
    return generate(GeneratorConfig(events=3000, seed=5, attacks=4))


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    config = GeneratorConfig(events=1500, seed=11, attacks=2)
    first, second = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    write_ndjson(first, config)
    write_ndjson(second, config)
    assert first.read_bytes() == second.read_bytes()
    assert len(first.read_bytes().splitlines()) == 1500


def test_other_seed_other_events() -> None:
    a, _ = generate(GeneratorConfig(events=600, seed=1, attacks=0))
    b, _ = generate(GeneratorConfig(events=600, seed=2, attacks=0))
    assert orjson.dumps(a) != orjson.dumps(b)


def test_committed_example_is_reproducible() -> None:
    example = ROOT / "examples" / "events.ndjson"
    events, _ = generate(EXAMPLE)
    assert example.read_bytes() == b"".join(orjson.dumps(e) + b"\n" for e in events)


def test_ecs_shape(sample: tuple[list[dict[str, Any]], Generator]) -> None:
    events, _ = sample
    for event in events:
        assert ISO.match(event["@timestamp"])
        meta = event["event"]
        assert isinstance(meta["category"], (list, str)) and meta["category"]
        assert isinstance(meta["type"], list) and isinstance(meta["action"], str)
        assert {"id", "name", "os"} <= event["host"].keys()
        assert event["host"]["os"]["type"] in ("windows", "linux")
        process = event["process"]
        assert {"entity_id", "pid", "name", "executable"} <= process.keys()
        assert isinstance(event["user"]["name"], str)
        category = meta["category"][0]
        if category == "process":
            assert process["args"] and process["command_line"]
            assert process["args_count"] == len(process["args"])
            assert len(process["hash"]["sha256"]) == 64
        elif category == "file":
            assert event["file"]["path"].endswith(event["file"]["name"])
        elif category == "registry":
            assert event["registry"]["path"]
        elif "dns" in event:
            assert event["dns"]["question"]["name"]
        else:
            assert category == "network" and isinstance(event["destination"]["port"], int)


def test_time_order_and_mix(sample: tuple[list[dict[str, Any]], Generator]) -> None:
    events, _ = sample
    stamps = [e["@timestamp"] for e in events]
    assert stamps == sorted(stamps)
    categories = Counter(e["event"]["category"][0] for e in events)
    assert {"process", "file", "network", "registry"} <= categories.keys()
    assert Counter(e["host"]["os"]["type"] for e in events).keys() == {"windows", "linux"}
    names = Counter(e["process"]["name"] for e in events if e["event"]["category"] == ["process"])
    top = sum(n for _, n in names.most_common(5))
    assert top > 0.4 * sum(names.values())  # a few names dominate ...
    assert len(names) > 25  # ... and a long tail follows


def test_process_trees_link_by_entity_id(sample: tuple[list[dict[str, Any]], Generator]) -> None:
    events, gen = sample
    known = {p.entity_id for h in gen.hosts for p in h.live}
    starts = [e for e in events if e["event"]["type"] == ["start"] and "parent" in e["process"]]
    known |= {e["process"]["entity_id"] for e in starts}
    assert all(e["process"]["parent"]["entity_id"] in known for e in starts)


def _steps(events: list[dict[str, Any]], positions: list[int]) -> list[dict[str, Any]]:
    return [events[i] for i in positions]


def test_attack_chains_are_embedded(sample: tuple[list[dict[str, Any]], Generator]) -> None:
    events, gen = sample
    assert [a.kind for a in gen.attacks] == ["webshell", "credential_dump"] * 2
    assert all(a.complete for a in gen.attacks)
    web_os = set()
    for attack in gen.attacks:
        steps = _steps(events, attack.positions)
        assert {s["host"]["name"] for s in steps} == {attack.host}
        if attack.kind == "webshell":
            shell, downloader, download, dropped, implant, beacon = steps
            web_os.add(shell["host"]["os"]["type"])
            assert shell["process"]["parent"]["name"] in ("w3wp.exe", "nginx", "apache2")
            assert shell["process"]["name"] in ("cmd.exe", "sh")
            assert downloader["process"]["parent"]["entity_id"] == shell["process"]["entity_id"]
            assert download["destination"]["port"] == 80
            assert dropped["event"]["type"] == ["creation"]
            assert implant["process"]["executable"] == dropped["file"]["path"]
            assert implant["process"]["parent"]["entity_id"] == shell["process"]["entity_id"]
            assert beacon["process"]["entity_id"] == implant["process"]["entity_id"]
            assert beacon["event"]["category"] == ["network"]
        else:
            dumper, dump = steps
            assert "lsass" in dumper["process"]["command_line"]
            assert dumper["process"]["name"] in ("procdump64.exe", "rundll32.exe")
            assert dump["file"]["extension"] == "dmp"
            assert dump["process"]["entity_id"] == dumper["process"]["entity_id"]
    assert web_os == {"windows", "linux"}


def test_too_few_events_for_the_attacks() -> None:
    with pytest.raises(ValueError, match="attack chains"):
        Generator(GeneratorConfig(events=100, attacks=2))
