"""Fixtures for kestrel-lua tests: inline packages and a small event factory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kestrel_core import ir
from kestrel_core.events.model import Event
from kestrel_lua.package import LuaPackageFormat


def event(
    categories: tuple[str, ...] = ("process",), timestamp: int | None = None, **fields: Any
) -> Event:
    """An event whose fields are ``fields``."""
    return Event(tuple(categories), timestamp, None, fields, fields)


@pytest.fixture
def make_package(tmp_path: Path) -> Callable[..., Path]:
    """Write a package directory: ``make_package(name, code, fields=[...], **manifest keys)``."""

    def make(name: str, code: str, fields: list[str] | None = None, **extra: Any) -> Path:
        directory = tmp_path / name
        directory.mkdir()
        manifest = {
            "format_version": 1,
            "runtime": "lua",
            "abi": "v1",
            "rule": {"id": name, "name": name, "severity": "low"},
            "category": "process",
            "fields": fields if fields is not None else ["name"],
            **extra,
        }
        (directory / "manifest.json").write_text(json.dumps(manifest))
        (directory / "predicate.lua").write_text(code)
        return directory

    return make


def package_predicates(
    paths: list[Path], extra: list[tuple[str, ir.Query]] = ()
) -> list[ir.Predicate]:
    """Predicates for the packages at ``paths`` followed by ``extra`` IR rules."""
    fmt = LuaPackageFormat()
    rules = [(r.id, r.query) for p in paths for r in fmt.load(p)]
    return ir.predicates_for([*rules, *extra])
