"""The ``eql`` and ``elastic`` rule formats: rule files -> :class:`kestrel_core.rules.Rule`.

``eql`` reads:

* ``.eql`` files: the query, optionally preceded by a ``/* ... */`` block holding YAML metadata
  (``id``, ``name``, ``severity``, ``risk_score``, ``tags``, ``description``, ``dialect``). With
  no metadata the file name (without extension) is the rule id and name.
* ``.yaml`` / ``.yml`` / ``.json`` / ``.toml`` files holding a ``query`` plus the same metadata,
  or a ``rules`` list of such tables.

``elastic`` reads Elastic detection-rules TOML as published (``[metadata]``, ``[rule]`` with
``language``, ``query``, ``rule_id``, ``name``, ``severity``, ``risk_score``, ``threat``);
non-EQL and deprecated rules are skipped with a count, not an error.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from kestrel_core.errors import RuleError, RuleSkipped, SourceLocation
from kestrel_core.rules import SEVERITIES, Rule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_METADATA_KEYS = {
    "id", "rule_id", "name", "severity", "risk_score", "tags", "description", "dialect",
    "threat", "enabled", "query", "author", "references", "version", "false_positives",
}
_LEADING_BLOCK = re.compile(r"\A\s*/\*(.*?)\*/", re.DOTALL)


def _compile(text: str, source: str, dialect: str) -> Any:
    from kestrel_eql import compile_query

    if dialect != "elasticsearch":
        return compile_query(text, source=source, dialect=dialect)
    return compile_query(text, source=source)


def _relocate(exc: RuleError, file_text: str, query: str, path: str) -> RuleError:
    """Point an error inside an embedded query at its line and column in the whole file."""
    loc = exc.location
    index = file_text.find(query)
    if loc is None or index < 0:
        if loc is not None:
            loc.file = f"{path} (in its query)"
        return exc
    prefix = file_text[:index]
    line_offset = prefix.count("\n")
    col_offset = index - (prefix.rfind("\n") + 1)
    column = loc.column + (col_offset if loc.line == 1 else 0)
    end = loc.end_column + (col_offset if loc.line == 1 else 0) if loc.end_column else None
    exc.location = SourceLocation(loc.line + line_offset, column, file_text, path, end)
    return exc


def _severity(value: Any, path: str) -> str:
    sev = str(value or "medium").lower()
    if sev == "informational":
        sev = "low"
    if sev not in SEVERITIES:
        raise RuleError(f"{path}: severity must be one of {', '.join(SEVERITIES)}, not {value!r}")
    return sev


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(t) for t in value)


def rule_from_table(
    table: dict[str, Any], path: Path, file_text: str, default_id: str, fmt: str
) -> Rule:
    """A rule from a metadata table holding ``query``; errors name the file and key."""
    unknown = set(table) - _METADATA_KEYS
    if unknown:
        raise RuleError(
            f"{path}: unknown rule key(s) {', '.join(sorted(unknown))}; "
            f"expected some of: {', '.join(sorted(_METADATA_KEYS))}"
        )
    query_text = table.get("query")
    if not isinstance(query_text, str) or not query_text.strip():
        raise RuleError(f"{path}: rule {default_id!r} has no 'query' string")
    dialect = str(table.get("dialect", "elasticsearch"))
    try:
        query = _compile(query_text, str(path), dialect)
    except RuleError as exc:
        raise _relocate(exc, file_text, query_text, str(path)) from None
    rule_id = str(table.get("id") or table.get("rule_id") or default_id)
    risk = table.get("risk_score")
    return Rule(
        id=rule_id,
        name=str(table.get("name") or rule_id),
        query=query,
        severity=_severity(table.get("severity"), str(path)),
        risk_score=int(risk) if risk is not None else None,
        tags=_tags(table.get("tags")),
        description=str(table.get("description") or ""),
        threat=tuple(table.get("threat") or ()),
        source=str(path),
        format=fmt,
        text=query_text,
        dialect=dialect,
        enabled=bool(table.get("enabled", True)),
    )


class EqlFormat:
    """EQL rules: .eql files with optional YAML metadata, and YAML/JSON/TOML rule files."""

    extensions = (".eql", ".yaml", ".yml", ".json", ".toml")

    def claims(self, path: Path) -> bool:
        """``.eql`` files; YAML/JSON/TOML files whose top level has ``query`` or ``rules``."""
        if not path.is_file():
            return False
        suffix = path.suffix.lower()
        if suffix == ".eql":
            return True
        if suffix not in self.extensions or path.name == "manifest.json":
            return False
        try:
            data = self._read_table(path, path.read_text(encoding="utf-8"))
        except Exception:
            return suffix in {".yaml", ".yml"} and "query" in path.read_text(errors="replace")
        if isinstance(data, list):
            return bool(data) and all(isinstance(d, dict) and "query" in d for d in data)
        return isinstance(data, dict) and ("query" in data or "rules" in data) and (
            "rule" not in data
        )

    def _read_table(self, path: Path, text: str) -> Any:
        suffix = path.suffix.lower()
        if suffix == ".json":
            return json.loads(text)
        if suffix == ".toml":
            return tomllib.loads(text)
        return yaml.safe_load(text)

    def load(self, path: Path) -> list[Rule]:
        """Every rule in the file."""
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".eql":
            return [self._load_eql(path, text)]
        try:
            data = self._read_table(path, text)
        except Exception as exc:
            raise RuleError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from exc
        tables = data if isinstance(data, list) else data.get("rules", [data])
        if not isinstance(tables, list):
            raise RuleError(f"{path}: 'rules' must be a list of rule tables")
        rules = []
        for index, table in enumerate(tables):
            if not isinstance(table, dict):
                raise RuleError(f"{path}: rule {index + 1} is not a table")
            default = path.stem if len(tables) == 1 else f"{path.stem}-{index + 1}"
            rules.append(rule_from_table(table, path, text, default, "eql"))
        return rules

    def _load_eql(self, path: Path, text: str) -> Rule:
        meta: dict[str, Any] = {}
        block = _LEADING_BLOCK.match(text)
        if block:
            try:
                parsed = yaml.safe_load(block.group(1))
            except yaml.YAMLError:
                parsed = None
            if isinstance(parsed, dict) and set(parsed) & _METADATA_KEYS:
                meta = parsed
        if "query" in meta:
            raise RuleError(f"{path}: the metadata block of an .eql file must not hold 'query'")
        # The whole text is the query: the metadata block is an EQL comment, so error
        # positions are positions in the file.
        return rule_from_table({**meta, "query": text}, path, text, path.stem, "eql")


class ElasticFormat:
    """Elastic detection-rules TOML files (``[metadata]`` + ``[rule]``)."""

    extensions = (".toml",)

    def claims(self, path: Path) -> bool:
        """A ``.toml`` file with a ``[rule]`` table."""
        if not (path.is_file() and path.suffix.lower() == ".toml"):
            return False
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return False
        return re.search(r"(?m)^\[rule\]\s*$", text) is not None

    def load(self, path: Path) -> list[Rule]:
        """The rule, or :class:`RuleSkipped` for non-EQL and deprecated rules."""
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RuleError(f"{path}: not valid TOML: {exc}") from exc
        meta = data.get("metadata", {})
        rule = data.get("rule")
        if not isinstance(rule, dict):
            raise RuleError(f"{path}: no [rule] table")
        if str(meta.get("maturity", "")).lower() == "deprecated":
            raise RuleSkipped("deprecated")
        language = str(rule.get("language", rule.get("type", "?")))
        if language != "eql":
            raise RuleSkipped(f"language {language}")
        for key in ("rule_id", "name", "query"):
            if key not in rule:
                raise RuleError(f"{path}: [rule] has no {key!r}")
        table = {
            "id": rule["rule_id"],
            "name": rule["name"],
            "query": rule["query"],
            "severity": rule.get("severity"),
            "risk_score": rule.get("risk_score"),
            "tags": rule.get("tags"),
            "description": rule.get("description"),
            "threat": rule.get("threat"),
        }
        parsed = rule_from_table(table, path, text, path.stem, "elastic")
        return [parsed]
