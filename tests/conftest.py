"""Shared fixtures for kestrel-core's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kestrel_core.plugins import PluginManager

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pm() -> Iterator[PluginManager]:
    """A fresh plugin manager with only the built-in plugins (no entry points)."""
    manager = PluginManager(autoload=False, disabled=(), strict=False).load()
    yield manager


@pytest.fixture
def repo_root() -> Path:
    """The repository's root folder."""
    return ROOT
