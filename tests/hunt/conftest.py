"""Helpers: run ``kestrel query`` as a function over inline records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kestrel_core.hunt import HuntOptions, hunt
from kestrel_core.plugins import PluginManager


@pytest.fixture(scope="session")
def registry() -> Any:
    return PluginManager().load().registry


@pytest.fixture
def query(registry: Any, tmp_path: Path):
    """``query(text, records, dialect=..., schema=...)`` -> the ``kestrel query`` lines."""

    def _query(
        text: str,
        records: list[dict[str, Any]],
        *,
        dialect: str = "endgame",
        schema: str = "ecs",
        size: int | None = None,
    ) -> list[dict[str, Any]]:
        path = tmp_path / "events.json"
        path.write_text(json.dumps(records), encoding="utf-8")
        options = HuntOptions(schema=schema, dialect=dialect, size=size)
        return hunt(registry, text, [str(path)], options, report=lambda m: None)

    return _query
