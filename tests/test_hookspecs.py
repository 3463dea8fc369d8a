"""The hook specs are the API reference: each must be documented and typed."""

from __future__ import annotations

import inspect

import pytest

from kestrel_core import hookspecs
from kestrel_core.types import KIND_HOOKS

SPECS = [
    (name, fn)
    for name, fn in vars(hookspecs).items()
    if name.startswith("kestrel_") and inspect.isfunction(fn)
]


def test_there_are_hook_specs():
    names = {name for name, _ in SPECS}
    assert set(KIND_HOOKS.values()) <= names
    assert {"kestrel_engine_started", "kestrel_engine_stopped", "kestrel_rules_loaded"} <= names


@pytest.mark.parametrize(("name", "fn"), SPECS, ids=[n for n, _ in SPECS])
def test_hook_is_documented_with_an_example(name, fn):
    doc = inspect.getdoc(fn) or ""
    assert len(doc.splitlines()) >= 3, f"{name} needs a docstring (when called, returns, example)"
    assert "Example" in doc, f"{name}'s docstring needs an **Example**"
    assert "@hookimpl" in doc, f"{name}'s example should show a hook implementation"
    assert "Return" in doc or "return" in doc, f"{name} must say what it returns"


@pytest.mark.parametrize(("name", "fn"), SPECS, ids=[n for n, _ in SPECS])
def test_hook_is_typed_and_marked(name, fn):
    sig = inspect.signature(fn)
    assert sig.return_annotation is not inspect.Signature.empty, name
    for param in sig.parameters.values():
        assert param.annotation is not inspect.Parameter.empty, f"{name}({param.name})"
    assert hasattr(fn, "kestrel_spec"), f"{name} is not marked with @hookspec"


def test_hookimpl_is_importable_from_the_package():
    from kestrel_core import hookimpl

    @hookimpl
    def kestrel_alert_sinks():
        return []

    assert hasattr(kestrel_alert_sinks, "kestrel_impl")
