"""Helpers over event values shared by the engine, the pipes and the sequence engine."""

from __future__ import annotations

from typing import Any


def value_order(value: Any) -> tuple:
    """A total order over JSON values: null, booleans, numbers, strings, lists, anything else."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    if isinstance(value, (list, tuple)):
        return (4, tuple(value_order(v) for v in value))
    return (5, repr(value))


def hashable(value: Any) -> Any:
    """A JSON value as something hashable: lists become tuples, objects sorted item tuples."""
    if isinstance(value, list):
        return tuple(hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), hashable(v)) for k, v in value.items()))
    return value
