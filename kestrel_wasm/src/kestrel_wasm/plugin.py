"""The kestrel-wasm plugin module, registered under the ``kestrel`` entry-point group.

Provides the ``wasm`` predicate runtime, the ``wasm_package`` rule format and the
``kestrel package`` command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kestrel_core import hookimpl
from kestrel_core.types import ConfigOption, PredicateRuntime, RuleFormat

if TYPE_CHECKING:
    import click


def _runtime_factory(**options: object) -> object:
    """Runs predicates as WebAssembly (wasmtime): compiled EQL rule sets and rule packages."""
    from kestrel_wasm.runtime import WasmRuntime

    return WasmRuntime(**options)  # type: ignore[arg-type]


def _format_factory(**options: object) -> object:
    """WebAssembly rule packages: a directory with manifest.json and rule.wasm or rule.wat."""
    from kestrel_wasm.ruleformat import WasmPackageFormat

    return WasmPackageFormat(**options)


@hookimpl
def kestrel_predicate_runtimes() -> list[PredicateRuntime]:
    """The ``wasm`` runtime."""
    return [
        PredicateRuntime(
            name="wasm",
            factory=_runtime_factory,
            config=(
                ConfigOption("cache_dir", "str", "~/.cache/kestrel/wasm", "compiled-module cache"),
                ConfigOption("fuel", "int", 50_000_000, "fuel per call (plus per event)"),
                ConfigOption("timeout_ms", "int", 2000, "epoch deadline of one call"),
                ConfigOption("memory_mb", "int", 256, "linear memory limit per module"),
                ConfigOption("max_faults", "int", 3, "faults before a package is quarantined"),
            ),
        )
    ]


@hookimpl
def kestrel_rule_formats() -> list[RuleFormat]:
    """The ``wasm_package`` rule format."""
    return [RuleFormat(name="wasm_package", factory=_format_factory)]


@hookimpl
def kestrel_add_commands(cli: click.Group) -> None:
    """``kestrel package``."""
    from kestrel_wasm.package_cmd import package

    cli.add_command(package)
