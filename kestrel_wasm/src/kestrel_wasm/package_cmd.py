"""``kestrel package``: compile an EQL rule (file or query text) into a wasm rule package."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kestrel_core import ir
from kestrel_core.errors import CompileError
from kestrel_core.rules import SEVERITIES
from kestrel_wasm import __version__
from kestrel_wasm.runtime import assemble, generate


def build_package(
    query: ir.Query,
    out: Path,
    rule: dict[str, object],
    text: str | None = None,
) -> Path:
    """Write ``out/manifest.json``, ``rule.wat`` and ``rule.wasm`` for an event query."""
    body = query.body
    if not isinstance(body, ir.EventQuery):
        raise CompileError("kestrel package compiles event queries (sequences: write a manifest)")
    generated = generate([ir.Predicate(0, str(rule["id"]), 0, body.category, body.condition)])
    if generated.host_predicates:
        reason = next(iter(generated.host_predicates.values()))
        raise CompileError(f"the query cannot run entirely in wasm: {reason}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "rule.wat").write_text(generated.wat, "utf-8")
    (out / "rule.wasm").write_bytes(assemble(generated.wat))
    manifest = {
        "format_version": 1,
        "runtime": "wasm",
        "abi": "batch",
        "rule": rule,
        "capabilities": ["re_match"],
        "category": body.category,
        "fields": sorted({ir.Field(p).dotted for p, _ in generated.columns if p != ("\0time",)}),
        "module": "rule.wasm",
        "batch": {
            "columns": [[list(p), lower] for p, lower in generated.columns],
            "categories": generated.categories,
            "regexes": [[p, ci] for p, ci in generated.regexes],
            "predicates": 1,
        },
        "source": {"eql": text, "generator": f"kestrel-wasm {__version__}"},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return out


@click.command()
@click.argument("rule")
@click.option(
    "-o", "--out", "out", required=True, type=click.Path(file_okay=False), help="Package dir."
)
@click.option("--id", "rule_id", help="Rule id (default: the file name).")
@click.option("--name", help="Rule name (default: the id).")
@click.option("--severity", default="medium", type=click.Choice(list(SEVERITIES)))
@click.option("--author", default="")
@click.option("--tag", "tags", multiple=True)
def package(
    rule: str,
    out: str,
    rule_id: str | None,
    name: str | None,
    severity: str,
    author: str,
    tags: tuple[str, ...],
) -> None:
    """Compile an EQL RULE (a .eql file or the query text) into a wasm package directory."""
    from kestrel_eql import compile_query

    path = Path(rule)
    text = path.read_text("utf-8") if path.is_file() else rule
    rid = rule_id or (path.stem if path.is_file() else "query")
    meta = {
        "id": rid,
        "name": name or rid,
        "version": "1.0.0",
        "author": author,
        "tags": list(tags),
        "severity": severity,
    }
    target = build_package(compile_query(text), Path(out), meta, text)
    click.echo(f"wrote {target}/manifest.json, rule.wat, rule.wasm", err=True)
