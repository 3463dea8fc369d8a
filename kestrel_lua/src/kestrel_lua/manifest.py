"""Lua rule package manifests: the Wasm package manifest format with ``runtime: "lua"``.

A package is a directory holding ``manifest.json`` and ``predicate.lua`` (or the file ``module``
names). The keys are those of ``kestrel_wasm``'s ``manifest.schema.json``: ``format_version``,
``runtime``, ``abi`` (``v1`` or ``batch``), ``rule`` (``id``, ``name``, ``version``, ``author``,
``description``, ``tags``, ``severity``, ``risk_score``), ``capabilities``, ``schema``, ``module``,
``exports``, ``fields``, ``lower_fields``, ``patterns``, ``category``, ``source``. Multi-step
keys (``sequence``, ``predicates``, ``categories``) are refused: Lua packages are single-event.
Every error names the package directory and the offending key.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs

from kestrel_core.errors import RuleError, SourceLocation
from kestrel_core.rules import SEVERITIES

MANIFEST = "manifest.json"
DEFAULT_MODULE = "predicate.lua"
CAPABILITIES = (
    "event_get_i64",
    "event_get_u64",
    "event_get_str",
    "re_match",
    "glob_match",
    "alert_emit",
)
_STR, _INT, _LIST, _OBJ = str, int, list, dict
_RULE_KEYS: dict[str, type] = {
    "id": _STR,
    "name": _STR,
    "version": _STR,
    "author": _STR,
    "description": _STR,
    "tags": _LIST,
    "severity": _STR,
    "risk_score": _INT,
}
_KEYS: dict[str, type | tuple[type, ...]] = {
    "format_version": _INT,
    "runtime": _STR,
    "abi": _STR,
    "rule": _OBJ,
    "capabilities": _LIST,
    "schema": _OBJ,
    "module": _STR,
    "exports": _OBJ,
    "fields": _LIST,
    "lower_fields": _LIST,
    "patterns": _LIST,
    "category": (str, type(None)),
    "source": _OBJ,
    "sequence": _OBJ,
    "predicates": _INT,
    "categories": _LIST,
}
_EXPORTS = ("init", "eval", "capture", "batch", "steps")
_LUA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@attrs.define(frozen=True)
class Manifest:
    """A validated Lua package: metadata, fields, exports and the source text."""

    directory: Path
    data: dict[str, Any]
    code: str

    @property
    def rule(self) -> dict[str, Any]:
        """Rule metadata: id, name, version, author, tags, severity, ..."""
        return dict(self.data["rule"])

    @property
    def id(self) -> str:
        """The rule id."""
        return str(self.data["rule"]["id"])

    @property
    def abi(self) -> str:
        """``v1`` (``pred_eval`` per event) or ``batch`` (one call per batch)."""
        return str(self.data["abi"])

    @property
    def fields(self) -> tuple[str, ...]:
        """Dotted field paths the package reads; field ids (1-based in Lua) index this tuple."""
        return tuple(self.data.get("fields", ()))

    @property
    def lower_fields(self) -> tuple[str, ...]:
        """Fields that also get a lowercased column (``kestrel.event_get_lower``)."""
        return tuple(self.data.get("lower_fields", ()))

    @property
    def patterns(self) -> tuple[str, ...]:
        """Regular expressions for ``kestrel.re_match``, ids 1..n in this order."""
        return tuple(self.data.get("patterns", ()))

    @property
    def capabilities(self) -> tuple[str, ...]:
        """Host API functions the package may call (all of them when the key is absent)."""
        return tuple(self.data.get("capabilities", CAPABILITIES))

    @property
    def category(self) -> str | None:
        """The event category the package looks at (``None``: any)."""
        return self.data.get("category")

    @property
    def exports(self) -> dict[str, str]:
        """Entry-point names, defaults filled in."""
        defaults = {
            "init": "pred_init",
            "eval": "pred_eval",
            "capture": "pred_capture",
            "batch": "kestrel_eval_batch",
        }
        return {**defaults, **self.data.get("exports", {})}

    @property
    def batch(self) -> str | None:
        """The batch entry point's name when ``abi`` is ``batch``."""
        return self.exports["batch"] if self.abi == "batch" else None

    def error(self, key: str, problem: str) -> RuleError:
        """A :class:`RuleError` naming this package and the manifest key."""
        return manifest_error(self.directory, key, problem)


def manifest_error(directory: Path, key: str, problem: str) -> RuleError:
    """A :class:`RuleError` for ``directory``'s manifest, located at ``key`` when found."""
    path = directory / MANIFEST
    try:
        text = path.read_text("utf-8")
    except OSError:
        text = ""
    last = key.rsplit(".", 1)[-1].split("[", 1)[0]
    index = text.find(f'"{last}"') if last else -1
    loc = None
    if index >= 0:
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        loc = SourceLocation(line, column, text, str(path), column + len(last) + 2)
    return RuleError(f"lua package {directory}: manifest key '{key}': {problem}", loc)


def _problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key in ("format_version", "rule", "runtime", "abi", "fields"):
        if key not in data:
            out.append((key, "is required"))
    for key, value in data.items():
        if key not in _KEYS:
            out.append((key, f"unknown key (allowed: {', '.join(sorted(_KEYS))})"))
        elif not isinstance(value, _KEYS[key]) or isinstance(value, bool):
            out.append((key, f"has the wrong type {type(value).__name__}"))
    if out:
        return out
    if data["format_version"] != 1:
        out.append(("format_version", f"must be 1, got {data['format_version']!r}"))
    if data["runtime"] != "lua":
        out.append(("runtime", f"must be 'lua', got {data['runtime']!r}"))
    if data["abi"] not in ("v1", "batch"):
        out.append(("abi", f"must be one of 'v1', 'batch', got {data['abi']!r}"))
    for key in ("sequence", "predicates", "categories"):
        if key in data:
            out.append((key, "multi-step packages are not supported by the lua runtime"))
    rule = data["rule"]
    for key in ("id", "name"):
        if not isinstance(rule.get(key), str) or not rule.get(key):
            out.append((f"rule.{key}", "is required (a non-empty string)"))
    for key, value in rule.items():
        if key not in _RULE_KEYS:
            out.append((f"rule.{key}", f"unknown key (allowed: {', '.join(sorted(_RULE_KEYS))})"))
        elif not isinstance(value, _RULE_KEYS[key]) or isinstance(value, bool):
            out.append((f"rule.{key}", f"has the wrong type {type(value).__name__}"))
    if rule.get("severity", "medium") not in SEVERITIES:
        out.append(("rule.severity", f"must be one of {', '.join(SEVERITIES)}"))
    for key in ("fields", "lower_fields", "patterns", "capabilities"):
        for i, item in enumerate(data.get(key, ())):
            if not isinstance(item, str) or not item:
                out.append((f"{key}[{i}]", "must be a non-empty string"))
    for i, cap in enumerate(data.get("capabilities", ())):
        if cap not in CAPABILITIES:
            out.append((f"capabilities[{i}]", f"must be one of {', '.join(CAPABILITIES)}"))
    for i, name in enumerate(data.get("lower_fields", ())):
        if name not in data["fields"]:
            out.append((f"lower_fields[{i}]", f"{name!r} is not among 'fields'"))
    for key, value in data.get("exports", {}).items():
        if key not in _EXPORTS:
            out.append((f"exports.{key}", f"unknown key (allowed: {', '.join(_EXPORTS)})"))
        elif key == "steps":
            out.append(("exports.steps", "multi-step packages are not supported"))
        elif not isinstance(value, str) or not _LUA_NAME.match(value):
            out.append((f"exports.{key}", "must be a Lua identifier"))
    module = data.get("module", DEFAULT_MODULE)
    if "/" in module or "\\" in module or not module.endswith(".lua"):
        out.append(("module", f"{module!r} must be a .lua file in the package directory"))
    return out


def load_manifest(directory: Path) -> Manifest:
    """Read and validate ``directory/manifest.json`` and the module text.

    Raises :class:`RuleError` naming the package and the offending key.
    """
    path = directory / MANIFEST
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise RuleError(f"lua package {directory}: cannot read {MANIFEST}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        loc = SourceLocation(exc.lineno, exc.colno, text, str(path))
        raise RuleError(f"lua package {directory}: {MANIFEST} is not JSON: {exc.msg}", loc) from exc
    if not isinstance(data, dict):
        raise manifest_error(directory, "(top level)", "must be a JSON object")
    problems = _problems(data)
    if problems:
        key, problem = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise manifest_error(directory, key, problem + more)
    module = directory / data.get("module", DEFAULT_MODULE)
    try:
        raw = module.read_bytes()
    except OSError as exc:
        raise manifest_error(directory, "module", f"cannot read {module.name}: {exc}") from exc
    if raw[:1] == b"\x1b":
        raise manifest_error(directory, "module", f"{module.name} is bytecode; only source is run")
    try:
        code = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise manifest_error(directory, "module", f"{module.name} is not UTF-8: {exc}") from exc
    return Manifest(directory, data, code)
