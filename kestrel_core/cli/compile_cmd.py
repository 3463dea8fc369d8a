"""``kestrel compile``: show what a query becomes: AST, IR, or a runtime's generated code."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from kestrel_core.cli.main import CliState
from kestrel_core.errors import ConfigError
from kestrel_core.hunt import compile_eql
from kestrel_core.ir import predicates_for
from kestrel_core.ir_json import to_json

#: --emit names that are not runtime names: the runtime whose code they show.
EMIT_RUNTIME = {"wat": "wasm", "wasm": "wasm"}


@click.command("compile")
@click.argument("query_text", metavar="[QUERY]", required=False)
@click.option("--file", "file_", type=click.Path(exists=True, dir_okay=False),
              help="Read the query (or an .eql rule file) from a file.")
@click.option("--emit", default="ir", show_default=True,
              help="ast, ir, or a runtime's code: python, wat, wasm (binary), lua.")
@click.option("--schema", "schema_name", default="ecs", show_default=True,
              help="Schema profile the code is generated for.")
@click.option("--dialect", default="elasticsearch", show_default=True,
              type=click.Choice(["elasticsearch", "endgame"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here, not stdout.")
@click.pass_obj
def compile_(
    state: CliState,
    query_text: str | None,
    file_: str | None,
    emit: str,
    schema_name: str,
    dialect: str,
    output: str | None,
) -> None:
    """Compile an EQL QUERY (or --file F) and print its AST, IR or generated code."""
    if (query_text is None) == (file_ is None):
        raise ConfigError("give either a QUERY or --file F")
    text = Path(file_).read_text(encoding="utf-8") if file_ else query_text
    assert text is not None
    data: bytes
    if emit == "ast":
        import kestrel_eql

        tree = kestrel_eql.parse(text, source=file_)
        data = orjson.dumps(tree.to_dict(), option=orjson.OPT_INDENT_2)
    elif emit == "ir":
        query = compile_eql(text, dialect)
        data = orjson.dumps(to_json(query), option=orjson.OPT_INDENT_2)
    else:
        registry = state.pm.registry
        query = compile_eql(text, dialect)
        runtime_name = EMIT_RUNTIME.get(emit, emit)
        runtime = registry.get("predicate_runtime", runtime_name).factory()
        schema = registry.get("schema_profile", schema_name).factory()
        source = runtime.source(predicates_for([("query", query)]), schema)
        if emit == "wasm":
            import wasmtime

            data = bytes(wasmtime.wat2wasm(source))
        else:
            data = source.encode()
    if output:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data if data.endswith(b"\n") else data + b"\n")
