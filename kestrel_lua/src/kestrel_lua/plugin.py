"""The kestrel-lua plugin module, registered under the ``kestrel`` entry-point group."""

from __future__ import annotations

from kestrel_core import hookimpl
from kestrel_core.types import ConfigOption, PredicateRuntime, RuleFormat
from kestrel_lua.package import LuaPackageFormat
from kestrel_lua.runtime import LuaRuntime


@hookimpl
def kestrel_predicate_runtimes() -> list[PredicateRuntime]:
    """The ``lua`` predicate runtime."""
    return [
        PredicateRuntime(
            name="lua",
            factory=LuaRuntime,
            config=(
                ConfigOption("max_faults", "int", 3, "faults before a rule is quarantined"),
                ConfigOption("memory_limit", "int", 64 << 20, "bytes per Lua package state"),
                ConfigOption("instructions_per_event", "int", 200_000, "package budget"),
                ConfigOption("instructions_init", "int", 10_000_000, "package load budget"),
            ),
        )
    ]


@hookimpl
def kestrel_rule_formats() -> list[RuleFormat]:
    """The ``lua_package`` rule format."""
    return [RuleFormat(name="lua_package", factory=LuaPackageFormat)]
