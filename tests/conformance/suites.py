"""Where the Elasticsearch EQL conformance suites live and how to read each one's data.

The suites are read in place from ``$KESTREL_CONFORMANCE_DIR`` (default: ``../shared/conformance``
beside the repository); tests skip, saying why, when the folder is absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT.parent / "shared" / "conformance"


def conformance_dir() -> Path:
    """The conformance folder (overridable with ``KESTREL_CONFORMANCE_DIR``)."""
    return Path(os.environ.get("KESTREL_CONFORMANCE_DIR", DEFAULT_DIR))


def elasticsearch_dir() -> Path:
    """The Elasticsearch suites' folder."""
    return conformance_dir() / "elasticsearch"


@attrs.frozen
class Dataset:
    """How ``kestrel query`` reads one suite's data: the CLI options it would be given."""

    files: tuple[str, ...]
    id_field: str
    schema: str
    overrides: tuple[tuple[str, str], ...] = ()

    def cli_options(self) -> list[str]:
        """The same settings as ``kestrel query`` options."""
        out = ["--schema", self.schema]
        for key, value in self.overrides:
            out += [f"--{key.replace('_', '-')}", value]
        return out


_ENDGAME = Dataset(("endgame-140.events.json",), "serial_event_id", "endgame")
_FLAT_MS = (
    ("category_field", "event_type"),
    ("timestamp_field", "@timestamp"),
    ("timestamp_format", "auto"),
    ("tiebreaker_field", "sequence"),
)

SUITES: dict[str, Dataset] = {
    "test_queries": _ENDGAME,
    "additional_test_queries": _ENDGAME,
    "test_queries_date": _ENDGAME,
    "test_queries_date_nanos": attrs.evolve(
        _ENDGAME, overrides=(("timestamp_format", "epoch_ns"),)
    ),
    "test_extra": Dataset(("extra.events.json",), "sequence", "ecs", _FLAT_MS),
    "test_missing_events": Dataset(("missing-events.events.json",), "sequence", "ecs", _FLAT_MS),
    "test_sample": Dataset(
        ("sample1.events.json", "sample2.events.json", "sample3.events.json"),
        "id",
        "ecs",
        (("category_field", "event_type"), ("tiebreaker_field", "id")),
    ),
    "test_sample_multi": Dataset(
        ("sample-multi.events.json",),
        "id",
        "ecs",
        (("category_field", "event_type"), ("tiebreaker_field", "id")),
    ),
}


def load_cases(suite: str) -> list[dict[str, Any]]:
    """The cases of one suite (empty when the folder is absent)."""
    path = elasticsearch_dir() / "suites" / f"{suite}.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())


def is_event_query(query: str) -> bool:
    """True for a plain event query (no sequence, sample or join)."""
    head = query.lstrip().split(None, 1)[0].lower() if query.strip() else ""
    return head not in {"sequence", "sample", "join"}
