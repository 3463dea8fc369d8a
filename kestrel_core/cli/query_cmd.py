"""``kestrel query``: run one EQL query over stored events (hunting). A stable contract.

The whole input is read and sorted by (timestamp, tiebreaker) before matching, as
Elasticsearch does; each result is printed as one JSON line ``{"events": [...], "join_keys":
[...]}`` with the original records. See docs/query.md and ../shared/DESIGN.md.
"""

from __future__ import annotations

import sys

import click
import orjson

from kestrel_core.cli.main import CliState
from kestrel_core.errors import ConfigError
from kestrel_core.hunt import HuntOptions, hunt

TIMESTAMP_FORMATS = ["auto", "iso8601", "epoch_s", "epoch_ms", "epoch_ns", "filetime"]


@click.command()
@click.option(
    "--schema",
    "schema_name",
    default="ecs",
    show_default=True,
    help="Schema profile: ecs, endgame, sysmon (or a plugin's).",
)
@click.option(
    "--dialect",
    type=click.Choice(["elasticsearch", "endgame"]),
    default="elasticsearch",
    show_default=True,
    help="EQL dialect.",
)
@click.option("--category-field", help="Field holding the event category.")
@click.option("--timestamp-field", help="Field holding the event time.")
@click.option(
    "--timestamp-format",
    type=click.Choice(TIMESTAMP_FORMATS),
    help="How to read the time field (default: the schema profile's).",
)
@click.option("--tiebreaker-field", help="Field that orders events with equal timestamps.")
@click.option(
    "--runtime",
    default="python",
    show_default=True,
    help="Predicate runtime: python, wasm, lua (or a plugin's).",
)
@click.option("--size", type=click.IntRange(min=0), help="Print at most N results.")
@click.option(
    "--max-samples-per-key",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Samples kept per join key (sample queries).",
)
@click.argument("query_text", metavar="QUERY")
@click.argument("files", nargs=-1, metavar="[FILE ...]")
@click.pass_obj
def query(
    state: CliState,
    schema_name: str,
    dialect: str,
    category_field: str | None,
    timestamp_field: str | None,
    timestamp_format: str | None,
    tiebreaker_field: str | None,
    runtime: str,
    size: int | None,
    max_samples_per_key: int,
    query_text: str,
    files: tuple[str, ...],
) -> None:
    """Run the EQL QUERY over FILEs (JSON arrays, NDJSON or concatenated JSON, optionally
    gzipped; none or '-' reads stdin) and print each result as a JSON line.

    Exit codes: 0 success (also with no result), 2 a bad query, option or configuration, 1
    anything else.
    """
    overrides = {
        "category_field": category_field,
        "timestamp_field": timestamp_field,
        "timestamp_format": timestamp_format,
        "tiebreaker_field": tiebreaker_field,
    }
    options = HuntOptions(
        schema=schema_name,
        schema_overrides={k: v for k, v in overrides.items() if v is not None},
        dialect=dialect,
        runtime=runtime,
        size=size,
        max_samples_per_key=max_samples_per_key,
    )
    try:
        results = hunt(state.pm.registry, query_text, list(files), options)
    except FileNotFoundError as exc:
        raise ConfigError(f"no such file: {exc.filename}" if exc.filename else str(exc)) from exc
    out = sys.stdout.buffer
    for result in results:
        out.write(orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS) + b"\n")
    out.flush()
