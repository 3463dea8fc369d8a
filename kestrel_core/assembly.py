"""Engine assembly: resolve every component the configuration names, failing closed."""

from __future__ import annotations

import attrs

from kestrel_core.config import ComponentConfig, Config
from kestrel_core.errors import ConfigError
from kestrel_core.registry import ComponentRegistry
from kestrel_core.types import (
    AlertSink,
    Component,
    EventSource,
    PredicateRuntime,
    SchemaProfile,
    SequenceEngine,
    StateStore,
)


@attrs.define
class ResolvedComponents:
    """The components a configuration names, each found in the registry."""

    schema: SchemaProfile
    runtime: PredicateRuntime
    sequence_engine: SequenceEngine
    state: StateStore
    sources: list[tuple[EventSource, dict]]
    sinks: list[tuple[AlertSink, dict]]


def _check_options(component: Component, options: dict, where: str) -> None:
    """Reject option keys the component does not declare (when it declares any)."""
    if not component.config:
        return
    known = {o.name for o in component.config}
    for key in options:
        if key not in known:
            raise ConfigError(
                f"{where}: unknown option {key!r} for {component.name!r}; "
                f"it accepts: {', '.join(sorted(known))}"
            )
    for opt in component.config:
        if opt.required and opt.name not in options:
            raise ConfigError(f"{where}: {component.name!r} needs the option {opt.name!r}")


def _get(registry: ComponentRegistry, kind: str, cc: ComponentConfig, where: str):
    comp = registry.get(kind, cc.type)
    _check_options(comp, cc.options, where)
    return comp, dict(cc.options)


def resolve(config: Config, registry: ComponentRegistry) -> ResolvedComponents:
    """Find every configured component; a missing or broken one raises :class:`ConfigError`
    naming it, what is available, and which package to install."""
    schema = registry.get("schema_profile", config.schema)
    runtime = registry.get("predicate_runtime", config.runtime)
    engine = registry.get("sequence_engine", config.sequence_engine)
    state, _ = _get(registry, "state_store", config.state, "[state]")
    sources = [_get(registry, "event_source", s, "[[sources]]") for s in config.sources]
    sinks = [_get(registry, "alert_sink", s, "[[sinks]]") for s in config.sinks]
    return ResolvedComponents(schema, runtime, engine, state, sources, sinks)
