"""The streaming engine behind ``kestrel run``, also embeddable from Python (docs/api.md)."""

from kestrel_core.engine.engine import Engine

__all__ = ["Engine"]
