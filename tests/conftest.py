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


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the conformance pass counts per suite when the conformance tests ran."""
    import sys

    module = next(
        (m for name, m in sys.modules.items() if name.endswith("conformance.test_elasticsearch")),
        None,
    )
    summary = getattr(module, "pytest_terminal_summary_lines", None)
    lines = summary() if summary is not None else []
    if lines:
        terminalreporter.section("Elasticsearch EQL conformance (passed/total)")
        for line in lines:
            terminalreporter.write_line(line)
