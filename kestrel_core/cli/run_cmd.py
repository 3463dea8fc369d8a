"""``kestrel run``: the streaming engine. A stable contract (see ../shared/DESIGN.md).

Alerts go to the configured sinks (stdout by default, one JSON object per line); the last line on
stderr is the final stats as one JSON object.
"""

from __future__ import annotations

import sys

import click

from kestrel_core.cli.main import CliState
from kestrel_core.cli.options import load_optional_config
from kestrel_core.config import ComponentConfig
from kestrel_core.engine import Engine
from kestrel_core.engine.engine import stats_json
from kestrel_core.engine.supervisor import Supervisor
from kestrel_core.errors import ConfigError


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="kestrel.toml")
@click.option(
    "--rules",
    "rule_paths",
    multiple=True,
    type=click.Path(),
    help="Rule file or folder (repeatable); replaces the config's [rules] paths.",
)
@click.option("--events", "events_path", help="Event file, folder, or '-' for stdin.")
@click.option("--follow", is_flag=True, help="Keep reading a growing file (tail -F).")
@click.option("--schema", "schema_name", help="Schema profile: ecs, endgame, sysmon.")
@click.option("--runtime", help="Predicate runtime: python, wasm, lua.")
@click.option("--workers", type=click.IntRange(min=0), help="Worker processes (0: one per core).")
@click.option("--state", "state_type", help="State store: memory, sqlite.")
@click.option("--strict", is_flag=True, help="Stop when any rule fails to load.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=None,
    help="Events per batch (default: what the runtime runs best with: python 32, wasm and "
    "lua 1024).",
)
@click.option(
    "--stats-interval",
    type=click.FloatRange(min=0),
    default=0,
    help="Also print the stats JSON to stderr every N seconds.",
)
@click.option(
    "--profile",
    is_flag=True,
    help="Time every rule on its own; per-rule evaluation time in the stats (slower).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr (default: when stderr is a terminal).",
)
@click.pass_obj
def run(
    state: CliState,
    config_path: str | None,
    rule_paths: tuple[str, ...],
    events_path: str | None,
    follow: bool,
    schema_name: str | None,
    runtime: str | None,
    workers: int | None,
    state_type: str | None,
    strict: bool,
    batch_size: int | None,
    stats_interval: float,
    profile: bool,
    progress: bool | None,
) -> None:
    """Run the rules over an event stream and send alerts to the sinks.

    Options override the config file; with neither, the defaults are the ecs profile, the python
    runtime, the memory state store and the stdout sink. Rules that fail to load are reported on
    stderr and the rest run (exit 0), unless --strict.
    """
    config = load_optional_config(config_path)
    if rule_paths:
        config.rule_paths = list(rule_paths)
    if schema_name:
        config.schema = schema_name
    if runtime:
        config.runtime = runtime
    if workers is not None:
        config.workers = workers
    if state_type:
        config.state = ComponentConfig(state_type)
    if strict:
        config.strict_rules = True
    if profile:
        config.profile = True
    if follow and not events_path:
        raise click.UsageError("--follow needs --events FILE")
    engine = Engine(config, state.pm, input_ends=not follow)
    sources = [events_path] if events_path else _configured_paths(config)
    show_progress = sys.stderr.isatty() if progress is None else progress
    with Supervisor(engine, stats_interval, show_progress and "-" not in sources):
        try:
            engine.run_files(sources, batch_size=batch_size, follow=follow)
        except FileNotFoundError as exc:
            raise ConfigError(
                str(exc) if exc.filename is None else f"no such file: {exc.filename}"
            ) from exc
        finally:
            stats = engine.close()
    sys.stderr.buffer.write(stats_json(stats) + b"\n")
    sys.stderr.flush()


def _configured_paths(config) -> list[str]:
    paths = []
    for source in config.sources:
        if source.type == "stdin":
            paths.append("-")
        elif "path" in source.options:
            paths.append(str(config.resolve(source.options["path"])))
    return paths or ["-"]
