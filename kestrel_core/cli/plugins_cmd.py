"""``kestrel plugins list``: what is installed, from which distribution, and whether it works."""

from __future__ import annotations

import click
import orjson

from kestrel_core.cli.main import CliState
from kestrel_core.errors import KestrelError
from kestrel_core.types import KIND_LABELS


@click.group()
def plugins() -> None:
    """Inspect installed plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.pass_obj
def list_(state: CliState, as_json: bool) -> None:
    """List every plugin: distribution, version, status and the components it provides.

    A plugin that failed to load is listed with its error; it never stops this command.
    """
    pm = state.pm
    conflict: str | None = None
    try:
        pm.registry  # noqa: B018 - builds components (and records broken plugins)
    except KestrelError as exc:
        conflict = str(exc)
    rows = [p.to_json() for p in pm.plugins]
    if as_json:
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
    else:
        _print_table(rows)
    if conflict:
        click.echo(f"kestrel: error: {conflict}", err=True)


def _print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    from kestrel_core import native

    table = Table(title="Kestrel plugins", caption=native.describe(), show_lines=False)
    for col in ("name", "distribution", "version", "status", "components"):
        table.add_column(col)
    status_style = {"active": "green", "error": "bold red", "disabled": "yellow"}
    for row in rows:
        comps = "; ".join(
            f"{KIND_LABELS.get(kind, kind)}: {', '.join(names)}"
            for kind, names in row["components"].items()
        )
        if row["error"]:
            comps = (comps + "\n" if comps else "") + f"[red]{row['error']}[/red]"
        table.add_row(
            row["name"],
            row["distribution"] or "-",
            row["version"] or "-",
            f"[{status_style[row['status']]}]{row['status']}[/]",
            comps or "-",
        )
    Console(soft_wrap=False).print(table)
