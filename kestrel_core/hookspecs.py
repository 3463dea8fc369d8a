"""Kestrel's hook specifications: the plugin API reference.

A plugin is a module (or object) with functions marked ``@kestrel_core.hookimpl`` whose names are
among the specs below, registered under the ``kestrel`` entry-point group::

    [project.entry-points.kestrel]
    kestrel-my-sink = "kestrel_my_sink.plugin"

Component hooks (``kestrel_*s``) take no arguments and return a list of typed records from
:mod:`kestrel_core.types`; the plugin manager gathers the lists of every plugin, so results
combine by concatenation, and two plugins returning a component of the same kind and name is an
error that names both distributions. Lifecycle hooks are notifications; their return values are
ignored.

.. versionadded:: 0.1.0  every hook below (plugin API 1.0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kestrel_core import hookspec

if TYPE_CHECKING:
    import click

    from kestrel_core.rules import Rule
    from kestrel_core.types import (
        AlertSink,
        EventSource,
        PredicateRuntime,
        RuleFormat,
        SchemaProfile,
        SequenceEngine,
        StateStore,
    )


@hookspec
def kestrel_event_sources() -> list[EventSource]:
    """Return the event sources this plugin provides.

    Called once when the plugin manager builds its component registry (at engine assembly and by
    ``kestrel plugins list``). Each :class:`~kestrel_core.types.EventSource` has a ``factory``
    called with the options of a ``[[sources]]`` table of the config (minus ``type``); it returns
    an iterable of :class:`kestrel_core.events.decoders.DecodedRecord` (a decoded record, or the
    error that stopped it, with its origin), with a ``stats`` attribute and ``close()``.

    Results of all plugins are concatenated.

    **Example**::

        @hookimpl
        def kestrel_event_sources():
            return [EventSource(name="kafka", factory=KafkaSource)]
    """


@hookspec
def kestrel_predicate_runtimes() -> list[PredicateRuntime]:
    """Return the predicate runtimes this plugin provides (``python``, ``wasm``, ``lua``, ...).

    Called once when the component registry is built. A runtime's ``factory(**options)`` returns an
    object implementing :class:`kestrel_core.runtime.api.Runtime`: ``compile(predicates, schema)``
    compiles the IR of a whole rule set at once into an object that evaluates a batch of events
    and returns the hits. The ``runtime`` key of the config (or ``--runtime``) selects one by name.

    Results of all plugins are concatenated.

    **Example**::

        @hookimpl
        def kestrel_predicate_runtimes():
            return [PredicateRuntime(name="wasm", factory=WasmRuntime)]
    """


@hookspec
def kestrel_rule_formats() -> list[RuleFormat]:
    """Return the rule formats this plugin reads (``eql``, ``elastic``, ``wasm_package``, ...).

    Called once when the component registry is built. A format's ``factory(**options)`` returns an
    object with ``claims(path: Path) -> bool`` (does this file or directory belong to me?) and
    ``load(path: Path) -> list[Rule]``, raising :class:`kestrel_core.errors.RuleError` with the
    file, line and column of what is wrong. The rule manager offers each path to the formats in
    registration order; the first that claims it loads it.

    Results of all plugins are concatenated.

    **Example**::

        @hookimpl
        def kestrel_rule_formats():
            return [RuleFormat(name="sigma", factory=SigmaFormat, extensions=(".yml",))]
    """


@hookspec
def kestrel_sequence_engines() -> list[SequenceEngine]:
    """Return the sequence engines this plugin provides (``nfa`` from kestrel-nfa).

    Called once when the component registry is built. ``factory(rules, store, **options)``
    returns an engine that takes, per event in arrival order, the step hits of the predicate
    runtime (``process(event, hits)``) and returns the completed matches; ``finish()`` flushes what
    can only complete at end of input (samples, trailing missing events). The engine keeps its
    partial matches in the given state store. An engine may also offer
    ``process_batch(events, hits)`` (``hits[i]`` those of ``events[i]``, maybe empty): the same as
    ``process`` on each event in order, returning ``(index of the event, match)`` pairs; the
    detector then makes one call per batch instead of one per event. An engine whose
    ``needs_all_events`` is true is shown every event, with or without hits. ``idle_steps()``,
    also optional, returns the ``(rule id, step)`` pairs whose hits it would drop now (later
    steps of sequences that hold no partial); the detector then does not evaluate them, except
    after an event of the batch that starts such a sequence.

    Results of all plugins are concatenated.

    **Example**::

        @hookimpl
        def kestrel_sequence_engines():
            return [SequenceEngine(name="nfa", factory=NfaEngine)]
    """


@hookspec
def kestrel_state_stores() -> list[StateStore]:
    """Return the state stores this plugin provides (``memory``, ``sqlite`` are built in).

    Called once when the component registry is built. ``factory(**options)`` returns a store that
    keeps partial matches keyed by (rule id, join key). A store must guarantee: reads see the last
    write for a key; expiry and evictions are counted per rule and reported by ``stats()``; quotas
    are enforced per rule and per join key; ``checkpoint(position)`` makes the state and the source
    position durable together (atomically) if the store is durable, and ``restore()`` returns the
    last checkpointed position.

    Results of all plugins are concatenated.

    **Example**::

        @hookimpl
        def kestrel_state_stores():
            return [StateStore(name="redis", factory=RedisStore)]
    """


@hookspec
def kestrel_alert_sinks() -> list[AlertSink]:
    """Return the alert sinks this plugin provides (``stdout``, ``file`` from kestrel-sinks).

    Called once when the component registry is built. ``factory(**options)`` returns a sink with
    ``send(alerts: list[Alert])``, ``flush()`` and ``close()``. ``send`` may raise; the engine
    retries and counts what could not be delivered.

    Results of all plugins are concatenated.

    **Example**::

        @hookimpl
        def kestrel_alert_sinks():
            return [AlertSink(name="webhook", factory=WebhookSink)]
    """


@hookspec
def kestrel_schema_profiles() -> list[SchemaProfile]:
    """Return the schema profiles this plugin provides (``ecs``, ``endgame``, ``sysmon`` built in).

    Called once when the component registry is built. ``factory(**overrides)`` returns a
    :class:`kestrel_core.events.schema.Schema` saying where an event's category, timestamp,
    tiebreaker and host live and how to read them; ``overrides`` are the ``--category-field``,
    ``--timestamp-field``, ``--timestamp-format`` and ``--tiebreaker-field`` options.

    Results of all plugins are concatenated.

    **Example**::

        @hookimpl
        def kestrel_schema_profiles():
            return [SchemaProfile(name="ocsf", factory=ocsf_schema)]
    """


@hookspec
def kestrel_add_commands(cli: click.Group) -> None:
    """Add subcommands to the ``kestrel`` command line.

    Called once when the CLI starts, after plugins are loaded, with the top-level click group.
    Return values are ignored.

    **Example**::

        @hookimpl
        def kestrel_add_commands(cli):
            @cli.command()
            def hello():
                click.echo("hi")
    """


@hookspec
def kestrel_rules_loaded(rules: list[Rule]) -> None:
    """Called after a rule set is loaded (at start and after every successful hot reload), with the
    rules that will run. Return values are ignored.

    **Example**::

        @hookimpl
        def kestrel_rules_loaded(rules):
            log.info("running %d rules", len(rules))
    """


@hookspec
def kestrel_engine_started(engine: Any) -> None:
    """Called once the engine is assembled and before the first event is read, with the engine.
    Return values are ignored.

    **Example**::

        @hookimpl
        def kestrel_engine_started(engine):
            metrics.gauge("kestrel.rules", len(engine.rules))
    """


@hookspec
def kestrel_engine_stopped(engine: Any, stats: dict[str, Any]) -> None:
    """Called once after the engine has drained its input and flushed its sinks, with the engine
    and its final stats (the JSON object ``kestrel run`` prints last). Return values are ignored.

    **Example**::

        @hookimpl
        def kestrel_engine_stopped(engine, stats):
            metrics.count("kestrel.alerts", stats["alerts"])
    """
