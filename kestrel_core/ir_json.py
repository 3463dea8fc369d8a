"""The IR as JSON (``kestrel compile --emit ir``): each node as an object naming its kind."""

from __future__ import annotations

from typing import Any

import attrs


def to_json(node: Any) -> Any:
    """Convert an IR tree (or any attrs tree) into JSON-ready data: ``{"node": "Compare", ...}``."""
    if attrs.has(type(node)):
        out: dict[str, Any] = {"node": type(node).__name__}
        for field in attrs.fields(type(node)):
            out[field.name] = to_json(getattr(node, field.name))
        return out
    if isinstance(node, (list, tuple)):
        return [to_json(v) for v in node]
    return node
