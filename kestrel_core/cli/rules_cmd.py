"""``kestrel rules list``: the rules a configuration (or paths) loads, and what failed."""

from __future__ import annotations

import click
import orjson

from kestrel_core.cli.main import CliState
from kestrel_core.cli.options import load_optional_config
from kestrel_core.rulemanager import RuleLoader


@click.group()
def rules() -> None:
    """Inspect rules."""


@rules.command("list")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="kestrel.toml")
@click.option("--runtime", help="The runtime rules without their own run in (default: config).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.argument("paths", nargs=-1, type=click.Path())
@click.pass_obj
def list_(
    state: CliState, config_path: str | None, runtime: str | None, as_json: bool, paths: tuple
) -> None:
    """List the rules under PATHS (or the config's rule paths): id, name, format, runtime,
    kind (event, sequence, sample), severity; then every file that failed to load."""
    config = load_optional_config(config_path)
    default_runtime = runtime or config.runtime
    targets = list(paths) or [str(config.resolve(p)) for p in config.rule_paths]
    loaded = RuleLoader(state.pm.registry).load(targets)
    rows = [
        {
            "id": r.id,
            "name": r.name,
            "format": r.format,
            "runtime": r.runtime or default_runtime,
            "kind": r.kind,
            "severity": r.severity,
            "source": r.source,
        }
        for r in loaded.rules
    ]
    failures = [{"path": f.path, "error": f.error} for f in loaded.failures]
    if as_json:
        doc = {"rules": rows, "errors": failures, "skipped": dict(loaded.skipped)}
        click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{len(rows)} rules")
        for col in ("id", "name", "format", "runtime", "kind", "severity"):
            table.add_column(col)
        for row in rows:
            table.add_row(*(str(row[c]) for c in ("id", "name", "format", "runtime", "kind",
                                                  "severity")))
        console = Console()
        console.print(table)
        for failure in failures:
            click.echo(f"{failure['path']}: {failure['error']}", err=True)
        for reason, count in loaded.skipped.items():
            click.echo(f"skipped {count} ({reason})", err=True)
