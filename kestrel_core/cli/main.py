"""The ``kestrel`` command group, and error handling shared by every command."""

from __future__ import annotations

import sys
from typing import Any

import click

from kestrel_core import __version__
from kestrel_core.errors import EXIT_FAILURE, KestrelError
from kestrel_core.plugins import PluginManager

#: Built-in commands: (module, attribute). Imported lazily so ``kestrel --help`` stays fast.
COMMANDS: dict[str, tuple[str, str]] = {
    "plugins": ("kestrel_core.cli.plugins_cmd", "plugins"),
    "validate": ("kestrel_core.cli.validate_cmd", "validate"),
    "query": ("kestrel_core.cli.query_cmd", "query"),
    "compile": ("kestrel_core.cli.compile_cmd", "compile_"),
    "rules": ("kestrel_core.cli.rules_cmd", "rules"),
    "run": ("kestrel_core.cli.run_cmd", "run"),
}


class CliState:
    """Shared by the commands of one invocation: the plugin manager, loaded on first use."""

    def __init__(self) -> None:
        self._pm: PluginManager | None = None

    @property
    def pm(self) -> PluginManager:
        if self._pm is None:
            self._pm = PluginManager().load()
        return self._pm


class KestrelGroup(click.Group):
    """Lazily imported built-in commands, then commands that plugins add."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS:
            import importlib

            module_name, attr = COMMANDS[cmd_name]
            return getattr(importlib.import_module(module_name), attr)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KestrelError as exc:
            click.echo(f"kestrel: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=KestrelGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="kestrel (kestrel-core)")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Kestrel: a behavioral detection engine for endpoint security events.

    Run EQL, Lua and WebAssembly rules over process, file, network and registry events;
    track multi-step sequences per entity; hunt over stored events with the same semantics.
    """
    ctx.ensure_object(CliState)


def _add_plugin_commands() -> None:
    """Let plugins add subcommands (``kestrel_add_commands``); a failing plugin is skipped."""
    try:
        pm = PluginManager().load()
        pm.hook.kestrel_add_commands(cli=cli)
    except Exception as exc:  # never let a plugin break the CLI
        click.echo(f"kestrel: warning: a plugin failed to add commands: {exc}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] not in COMMANDS and not args[0].startswith("-"):
        _add_plugin_commands()
    try:
        cli.main(args=args, prog_name="kestrel", standalone_mode=True)
    except KestrelError as exc:  # pragma: no cover - raised outside a command
        click.echo(f"kestrel: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(EXIT_FAILURE)
