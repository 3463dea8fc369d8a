"""Typed records that plugins return from the component hooks.

Each component has a ``name`` (normalized to lowercase snake_case), a ``factory`` that builds
the working object from its configuration, a one-line ``description`` (defaults to the first line
of the factory's docstring, shown by ``kestrel plugins list``), the configuration keys it accepts
and the plugin API version it was built for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

import attrs

from kestrel_core import PLUGIN_API_VERSION

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def normalize_name(name: str) -> str:
    """Normalize a component name: ``"Wasm-Runtime "`` -> ``"wasm_runtime"``."""
    norm = re.sub(r"[\s\-.]+", "_", name.strip()).lower()
    if not _NAME_RE.match(norm):
        raise ValueError(
            f"invalid component name {name!r}: use letters, digits and underscores, "
            "starting with a letter"
        )
    return norm


def _first_doc_line(obj: object) -> str:
    doc = getattr(obj, "__doc__", None) or ""
    for line in doc.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


@attrs.define(frozen=True)
class ConfigOption:
    """One configuration key a component accepts."""

    name: str
    type: str = "str"
    default: Any = None
    description: str = ""
    required: bool = False


@attrs.define(frozen=True)
class Component:
    """Base of every component record."""

    kind: ClassVar[str] = "component"

    name: str = attrs.field(converter=normalize_name)
    factory: Callable[..., Any]
    description: str = ""
    config: tuple[ConfigOption, ...] = attrs.field(factory=tuple, converter=tuple)
    api_version: str = PLUGIN_API_VERSION

    def __attrs_post_init__(self) -> None:
        if not self.description:
            object.__setattr__(self, "description", _first_doc_line(self.factory))


@attrs.define(frozen=True)
class EventSource(Component):
    """Where raw events come from: ``factory(**options)`` returns an iterable source."""

    kind: ClassVar[str] = "event_source"


@attrs.define(frozen=True)
class PredicateRuntime(Component):
    """Turns IR predicates into executable code: ``factory(**options)`` returns an object with
    ``compile(predicates, schema) -> CompiledPredicates``."""

    kind: ClassVar[str] = "predicate_runtime"


@attrs.define(frozen=True)
class RuleFormat(Component):
    """Reads rule files: ``factory(**options)`` returns an object with ``claims(path) -> bool``
    and ``load(path) -> list[Rule]``. ``extensions`` lists the file endings it reads."""

    kind: ClassVar[str] = "rule_format"

    extensions: tuple[str, ...] = attrs.field(factory=tuple, converter=tuple)


@attrs.define(frozen=True)
class SequenceEngine(Component):
    """Consumes step hits and keeps partial matches: see ``hookspecs.kestrel_sequence_engines``."""

    kind: ClassVar[str] = "sequence_engine"


@attrs.define(frozen=True)
class StateStore(Component):
    """Where partial matches and checkpoints live: see ``hookspecs.kestrel_state_stores``."""

    kind: ClassVar[str] = "state_store"


@attrs.define(frozen=True)
class AlertSink(Component):
    """Where alerts go: ``factory(**options)`` returns an object with ``send(alerts)``,
    ``flush()`` and ``close()``."""

    kind: ClassVar[str] = "alert_sink"


@attrs.define(frozen=True)
class SchemaProfile(Component):
    """A schema profile (``ecs``, ``endgame``, ``sysmon``): ``factory(**overrides)`` returns a
    :class:`kestrel_core.events.schema.Schema`."""

    kind: ClassVar[str] = "schema_profile"


COMPONENT_TYPES: tuple[type[Component], ...] = (
    EventSource,
    PredicateRuntime,
    RuleFormat,
    SequenceEngine,
    StateStore,
    AlertSink,
    SchemaProfile,
)

#: kind -> the hook that returns components of that kind
KIND_HOOKS: dict[str, str] = {
    "event_source": "kestrel_event_sources",
    "predicate_runtime": "kestrel_predicate_runtimes",
    "rule_format": "kestrel_rule_formats",
    "sequence_engine": "kestrel_sequence_engines",
    "state_store": "kestrel_state_stores",
    "alert_sink": "kestrel_alert_sinks",
    "schema_profile": "kestrel_schema_profiles",
}

#: kind -> how people say it in messages
KIND_LABELS: dict[str, str] = {
    "event_source": "event source",
    "predicate_runtime": "predicate runtime",
    "rule_format": "rule format",
    "sequence_engine": "sequence engine",
    "state_store": "state store",
    "alert_sink": "alert sink",
    "schema_profile": "schema profile",
}
