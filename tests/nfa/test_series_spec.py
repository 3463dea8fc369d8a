"""Every scenario of Elasticsearch's ``sequences.series-spec``, read in place and replayed.

The file lists, per scenario, one line per stage with the events that match that stage
(``A1``: timestamp 1; ``r|W2``: key ``r``, timestamp 2), then the expected sequences. Each event
is fed as a hit on its line's stage, in timestamp order; a scenario with keys joins on them.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from kestrel_core.state import MemoryStore
from kestrel_nfa import NfaEngine
from kestrel_nfa.testing import (
    conformance_root,
    feed,
    field,
    make_event,
    sequence_rule,
    step,
)

_TOKEN = re.compile(r"(?:(\w+)\|)?([A-Za-z]+)(\d+)")


@attrs.frozen
class Scenario:
    """One block of the spec file."""

    name: str
    stages: tuple[tuple[tuple[str | None, int], ...], ...]  # per stage: (key, time) events
    expected: tuple[tuple[int, ...], ...]  # per expected sequence: event times


def parse_series_spec(text: str) -> list[Scenario]:
    """Parse the spec format: name, stage lines, ``;``, expected lines, ``;``."""
    lines = [line.split("//", 1)[0].rstrip() for line in text.splitlines()]
    lines = [line for line in lines if line.strip()]
    scenarios: list[Scenario] = []
    i = 0
    while i < len(lines):
        name = lines[i].strip()
        i += 1
        stages = []
        while lines[i].strip() != ";":
            stages.append(tuple((k or None, int(n)) for k, _, n in _TOKEN.findall(lines[i])))
            i += 1
        i += 1
        expected = []
        while lines[i].strip() != ";":
            expected.append(tuple(int(n) for _, _, n in _TOKEN.findall(lines[i])))
            i += 1
        i += 1
        scenarios.append(Scenario(name, tuple(stages), tuple(expected)))
    return scenarios


def _scenarios() -> list[Scenario]:
    path = conformance_root() / "elasticsearch" / "sequences.series-spec"
    if not path.is_file():
        return []
    return parse_series_spec(path.read_text())


SCENARIOS = _scenarios()


def run_scenario(scenario: Scenario) -> list[tuple[int, ...]]:
    """Feed a scenario through the engine; return the matched sequences as event times."""
    keyed = any(key is not None for stage in scenario.stages for key, _ in stage)
    rule = sequence_rule(
        "spec",
        [step() for _ in scenario.stages],
        by=[field("key")] if keyed else [],
    )
    events = sorted(
        (time, index, key) for index, stage in enumerate(scenario.stages) for key, time in stage
    )
    feed_events = [make_event(time, {"key": key, "stage": index}) for time, index, key in events]
    engine = NfaEngine([rule], MemoryStore())
    matches = feed(engine, feed_events, lambda e: [("spec", e.fields["stage"])])
    return [tuple(e.timestamp for e in m.events if e is not None) for m in matches]


def test_spec_file_parses(elasticsearch_dir: Path) -> None:
    assert len(SCENARIOS) >= 25
    assert SCENARIOS[0].name == "trivialSequence"
    assert SCENARIOS[0].expected == ((1, 2),)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_series_spec(scenario: Scenario) -> None:
    assert run_scenario(scenario) == list(scenario.expected)


def test_parser_handles_keys_and_blank_lines() -> None:
    text = "// c\nname\nr|A1   u|A3\n  r|B2\n\n;\n\nr|A1 B2\n;\n"
    (scenario,) = parse_series_spec(text)
    assert scenario.stages == ((("r", 1), ("u", 3)), (("r", 2),))
    assert scenario.expected == ((1, 2),)
