"""Shared fixtures: where the Elasticsearch conformance material lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from kestrel_nfa.testing import conformance_root


@pytest.fixture
def elasticsearch_dir() -> Path:
    """The ``elasticsearch`` folder of the conformance material; skips when it is absent."""
    path = conformance_root() / "elasticsearch"
    if not path.is_dir():
        pytest.skip(f"conformance material not found at {path} (set KESTREL_CONFORMANCE_DIR)")
    return path
