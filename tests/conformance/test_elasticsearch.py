"""The Elasticsearch EQL conformance suites, run through ``kestrel query``'s code path.

Each case's query runs over its suite's data with the options ``kestrel query`` would be given
(see ``suites.py``); the ids of the result events, flattened (``-1`` for a missing-event slot),
must equal the expected ids or one of the expected alternatives. A summary of passes per suite is
printed at the end of the session (``-rA`` or the terminal summary shows it).

Cases that can only pass with Elasticsearch's index-mapping behaviour are listed in
``KNOWN_DIFFERENCES`` with the reason (and in docs/conformance.md); they are expected to fail,
strictly, so a fix shows up as an unexpected pass.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from kestrel_core.events.model import Event
from kestrel_core.hunt import HuntOptions, compile_eql, run_query
from kestrel_core.inputs import InputStats, read_events
from kestrel_core.plugins import PluginManager

from .suites import SUITES, Dataset, elasticsearch_dir, is_event_query, load_cases

pytestmark = pytest.mark.conformance

#: (suite, case name) -> why Kestrel differs from Elasticsearch there.
_NULL_VALUE = (
    "the index mapping sets null_value: \"NULL\" for this field, so Elasticsearch stores a "
    "default where the document has null; Kestrel has no mapping and reads the document"
)
_ABSENT_FIELDS = (
    "?x == ?y over fields absent from the index mapping: Elasticsearch replaces them by the "
    "literal null and folds null == null to true; Kestrel has no mapping, so a comparison with a "
    "missing field is null (three-valued logic)"
)
_VERSION = (
    "the mapping types `version` as Elasticsearch's version type (semantic-version order); "
    "Kestrel compares the strings"
)
_DATE_FORMATS = (
    "the mapping declares custom date formats, so Elasticsearch turns differently written dates "
    "into one epoch value before joining; Kestrel joins on the values as written"
)
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {
    ("test_extra", "optionalDefaultNullValueFieldEqualNull"): _NULL_VALUE,
    ("test_extra", "optionalDefaultNullValueFieldEqualDefaultValue"): _NULL_VALUE,
    ("test_extra", "sequenceOptionalFieldAsQueryKeysOnly"): _ABSENT_FIELDS,
    ("test_sample", "optionalFieldAsQueryKeysOnly"): _ABSENT_FIELDS,
    ("test_extra", "sequenceWithVersionRangeCheck"): _VERSION,
    ("test_extra", "sequenceWithVersionRangeCheck2"): _VERSION,
    ("test_sample", "customDateFormatAsKey_SameIndexResults"): _DATE_FORMATS,
    ("test_sample", "customDateFormatsAsKey_DifferentIndicesResults"): _DATE_FORMATS,
    ("test_sample", "customDateFormatsAsKey_DifferentKeyNames"): _DATE_FORMATS,
}

#: A case upstream added after these files were converted (see the conformance README).
EXTRA_CASES: dict[str, list[dict[str, Any]]] = {
    "test_missing_events": [
        {
            "name": "interleaved_3_missing",
            "query": (
                'sequence with maxspan=1h ![ test1 where tag == "foobar" ] '
                '[ test1 where tag == "normal" ] ![ test1 where tag == "foobar" ] '
                '[ test1 where tag == "normal" ] ![ test1 where tag == "foobar" ]'
            ),
            "expected_event_ids": [-1, 1, -1, 2, -1, -1, 2, -1, 4, -1],
        }
    ]
}

RESULTS: Counter[tuple[str, str]] = Counter()


def _cases() -> list[Any]:
    params = []
    for suite in SUITES:
        for case in load_cases(suite) + EXTRA_CASES.get(suite, []):
            marks = []
            reason = KNOWN_DIFFERENCES.get((suite, case["name"]))
            if reason:
                marks.append(pytest.mark.xfail(reason=reason, strict=True))
            params.append(pytest.param(suite, case, id=f"{suite}::{case['name']}", marks=marks))
    return params


CASES = _cases()


@pytest.fixture(scope="module")
def registry():
    return PluginManager().load().registry


_EVENTS: dict[Dataset, tuple[Any, list[Event]]] = {}


def _events(registry: Any, dataset: Dataset) -> tuple[Any, list[Event]]:
    if dataset not in _EVENTS:
        overrides = dict(dataset.overrides)
        schema = registry.get("schema_profile", dataset.schema).factory(**overrides)
        files = [str(elasticsearch_dir() / "data" / name) for name in dataset.files]
        stats = InputStats()
        events = list(read_events(files, schema, stats))
        assert stats.malformed == 0
        _EVENTS[dataset] = (schema, events)
    return _EVENTS[dataset]


def _ids(results: list[Any], id_field: str) -> list[int]:
    out = []
    for match in results:
        for event in match.events:
            out.append(-1 if event is None else event.record.get(id_field))
    return out


@pytest.mark.skipif(
    not elasticsearch_dir().exists(),
    reason=f"conformance suites not found at {elasticsearch_dir()} (set KESTREL_CONFORMANCE_DIR)",
)
@pytest.mark.parametrize(("suite", "case"), CASES)
def test_case(registry, suite: str, case: dict[str, Any]) -> None:
    dataset = SUITES[suite]
    schema, events = _events(registry, dataset)
    kind = "event" if is_event_query(case["query"]) else "stateful"
    RESULTS[(suite, f"{kind}:total")] += 1
    query = compile_eql(case["query"])
    options = HuntOptions(
        schema=dataset.schema,
        schema_overrides=dict(dataset.overrides),
        size=case.get("size"),
        max_samples_per_key=case.get("max_samples_per_key", 1),
    )
    got = _ids(run_query(registry, query, events, schema, options), dataset.id_field)
    expected = [case["expected_event_ids"], *case.get("expected_alternatives", [])]
    assert got in expected, f"{case['query']}\n got {got}\n expected {expected[0]}"
    RESULTS[(suite, f"{kind}:passed")] += 1


def pytest_terminal_summary_lines() -> list[str]:
    """Passes per suite, for the session summary (see conftest.py)."""
    lines = []
    for suite in SUITES:
        parts = []
        for kind in ("event", "stateful"):
            total = RESULTS[(suite, f"{kind}:total")]
            if total:
                parts.append(f"{kind} {RESULTS[(suite, f'{kind}:passed')]}/{total}")
        if parts:
            lines.append(f"{suite}: {', '.join(parts)}")
    return lines
