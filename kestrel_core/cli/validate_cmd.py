"""``kestrel validate``: check a configuration and rules, saying exactly what is wrong and where."""

from __future__ import annotations

import click

from kestrel_core.assembly import resolve
from kestrel_core.cli.main import CliState
from kestrel_core.cli.options import load_optional_config
from kestrel_core.errors import EXIT_USAGE, KestrelError
from kestrel_core.ir import predicates_for
from kestrel_core.rulemanager import RuleLoader


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="kestrel.toml")
@click.option("--runtime", help="Also compile the rules with this predicate runtime.")
@click.argument("rules", nargs=-1, type=click.Path())
@click.pass_obj
def validate(state: CliState, config_path: str | None, runtime: str | None, rules: tuple) -> None:
    """Check the configuration and the RULES (files or folders).

    Every configured component must be installed; every rule must load and compile. Errors go
    to stderr with file, line and column; the exit code is 2 when anything is wrong.
    """
    config = load_optional_config(config_path)
    if runtime:
        config.runtime = runtime
    registry = state.pm.registry
    components = resolve(config, registry)
    paths = [str(config.resolve(p)) for p in config.rule_paths] + list(rules)
    if not paths:
        click.echo("configuration OK", err=True)
        return
    loaded = RuleLoader(registry).load(paths)
    problems = 0
    for failure in loaded.failures:
        click.echo(f"{failure.path}: {failure.error}", err=True)
        problems += 1
    compiled = [r for r in loaded.rules if r.query is not None]
    if compiled:
        schema = components.schema.factory(**config.schema_options)
        runtimes: dict[str, object] = {}
        for rule in compiled:
            # Packages run in their own runtime; everything else in the configured one.
            name = rule.runtime or config.runtime
            try:
                if name not in runtimes:
                    options = config.runtime_options if name == config.runtime else {}
                    runtimes[name] = registry.get("predicate_runtime", name).factory(**options)
                runtimes[name].compile(predicates_for([(rule.id, rule.query)]), schema)  # type: ignore[attr-defined]
            except KestrelError as exc:
                click.echo(f"{rule.source}: rule {rule.id!r}: {exc}", err=True)
                problems += 1
    summary = loaded.summary()
    skipped = sum(summary["skipped"].values())
    click.echo(
        f"{len(loaded.rules)} rules loaded, {problems} with errors"
        + (f", {skipped} skipped ({', '.join(summary['skipped'])})" if skipped else ""),
        err=True,
    )
    if problems:
        raise SystemExit(EXIT_USAGE)
