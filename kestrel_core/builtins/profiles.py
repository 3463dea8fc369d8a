"""Built-in plugin: the ``ecs``, ``endgame`` and ``sysmon`` schema profiles."""

from __future__ import annotations

from kestrel_core import hookimpl
from kestrel_core.events.profiles import PROFILES
from kestrel_core.types import ConfigOption, SchemaProfile

#: The overrides every built-in profile accepts (the ``kestrel query`` options).
_OVERRIDES: tuple[ConfigOption, ...] = (
    ConfigOption("category_field", description="dotted path of the event category"),
    ConfigOption("timestamp_field", description="dotted path of the event time"),
    ConfigOption(
        "timestamp_format",
        description="auto, iso8601, epoch_s, epoch_ms, epoch_ns or filetime",
    ),
    ConfigOption("tiebreaker_field", description="dotted path of the sort tiebreaker"),
)


@hookimpl
def kestrel_schema_profiles() -> list[SchemaProfile]:
    """The built-in schema profiles; each factory is ``(**overrides) -> Schema``."""
    return [
        SchemaProfile(name=name, factory=factory, config=_OVERRIDES)
        for name, factory in PROFILES.items()
    ]
