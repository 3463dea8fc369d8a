"""The rule model every rule format produces."""

from __future__ import annotations

from typing import Any

import attrs

from kestrel_core.ir import Query

SEVERITIES = ("low", "medium", "high", "critical")


@attrs.define(frozen=True)
class Rule:
    """A loaded rule: metadata plus its query in the IR.

    ``query`` is ``None`` for a prebuilt package (Wasm or Lua) whose code is carried in
    ``package``; such a rule names the ``runtime`` it must run in. ``source`` is the file the rule
    came from and ``format`` the rule format that read it.
    """

    id: str
    name: str
    query: Query | None
    severity: str = "medium"
    risk_score: int | None = None
    tags: tuple[str, ...] = attrs.field(factory=tuple, converter=tuple)
    description: str = ""
    threat: tuple[Any, ...] = attrs.field(factory=tuple, converter=tuple)
    source: str | None = None
    format: str | None = None
    text: str | None = None
    dialect: str = "elasticsearch"
    runtime: str | None = None
    package: Any = None
    enabled: bool = True

    @property
    def kind(self) -> str:
        """``event``, ``sequence`` or ``sample``."""
        return self.query.kind if self.query is not None else "event"
