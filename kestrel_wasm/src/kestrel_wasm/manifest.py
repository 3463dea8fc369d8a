"""Rule package manifests: loading, validation against ``manifest.schema.json``, the record.

Validation interprets the subset of JSON Schema the bundled schema uses (``type``, ``const``,
``enum``, ``required``, ``properties``, ``additionalProperties: false``, ``items``, ``minItems``,
``minLength``, ``minimum``, ``maximum``, ``pattern``, ``$ref``), so the schema file is the single
source of truth and no ``jsonschema`` dependency is needed. Every error names the package
directory and the offending key (``rule.severity``, ``sequence.steps[1].keys``).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from kestrel_core.errors import RuleError, SourceLocation

MANIFEST = "manifest.json"
ABIS = ("v1", "batch")

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


@cache
def manifest_schema() -> dict[str, Any]:
    """The bundled JSON schema of ``manifest.json``."""
    text = resources.files("kestrel_wasm").joinpath("manifest.schema.json").read_text("utf-8")
    return json.loads(text)


def _type_ok(value: Any, names: str | list[str]) -> bool:
    for name in [names] if isinstance(names, str) else names:
        types = _JSON_TYPES[name]
        if isinstance(value, bool) and bool not in types:
            continue
        if isinstance(value, types):
            return True
    return False


def schema_errors(value: Any, schema: dict[str, Any], key: str = "") -> list[tuple[str, str]]:
    """(key, problem) pairs for ``value`` against ``schema`` (the supported subset)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = manifest_schema()["$defs"][name]
    where = key or "(top level)"
    if "type" in schema and not _type_ok(value, schema["type"]):
        return [(where, f"must be of type {schema['type']}, got {type(value).__name__}")]
    if "const" in schema and value != schema["const"]:
        return [(where, f"must be {schema['const']!r}, got {value!r}")]
    if "enum" in schema and value not in schema["enum"]:
        return [(where, f"must be one of {', '.join(map(repr, schema['enum']))}, got {value!r}")]
    out: list[tuple[str, str]] = []
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            out.append((where, "must not be empty"))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append((where, f"{value!r} does not match {schema['pattern']}"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append((where, f"must be >= {schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            out.append((where, f"must be <= {schema['maximum']}"))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        out.extend(
            (f"{key}.{r}" if key else r, "is required")
            for r in schema.get("required", ())
            if r not in value
        )
        for name, item in value.items():
            sub = f"{key}.{name}" if key else name
            if name in props:
                out.extend(schema_errors(item, props[name], sub))
            elif schema.get("additionalProperties") is False:
                out.append((sub, f"unknown key (allowed: {', '.join(sorted(props))})"))
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            out.append((where, f"needs at least {schema['minItems']} item(s)"))
        if "items" in schema:
            for i, item in enumerate(value):
                out.extend(schema_errors(item, schema["items"], f"{key}[{i}]"))
    return out


_SEG = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")


def parse_field(dotted: str) -> tuple[str | int, ...]:
    """``"process.args[0]"`` -> ``("process", "args", 0)`` (the inverse of ``Field.dotted``)."""
    return tuple(
        int(m.group(2)) if m.group(2) is not None else m.group(1) for m in _SEG.finditer(dotted)
    )


@attrs.define(frozen=True)
class StepSpec:
    """One step of a multi-step package's sequence."""

    category: str | None = None
    keys: tuple[str, ...] = ()
    runs: int = 1
    missing: bool = False


@attrs.define(frozen=True)
class Manifest:
    """A validated ``manifest.json`` of the package in ``directory``."""

    directory: Path
    data: dict[str, Any]

    @property
    def abi(self) -> str:
        """``v1`` (per-event predicate ABI) or ``batch`` (column batch ABI)."""
        return str(self.data["abi"])

    @property
    def rule(self) -> dict[str, Any]:
        """Rule metadata: id, name, version, author, tags, severity, ..."""
        return dict(self.data["rule"])

    @property
    def fields(self) -> tuple[str, ...]:
        """Dotted field paths the package reads; a field id is an index into this tuple."""
        return tuple(self.data.get("fields", ()))

    @property
    def patterns(self) -> tuple[str, ...]:
        """Regular expressions of ``re_match``, by id."""
        return tuple(self.data.get("patterns", ()))

    @property
    def category(self) -> str | None:
        """Category of a single-event package (``None``: any)."""
        return self.data.get("category")

    @property
    def exports(self) -> dict[str, Any]:
        """Export names, defaults filled in."""
        defaults = {
            "init": "pred_init",
            "eval": "pred_eval",
            "capture": "pred_capture",
            "batch": "kestrel_eval_batch",
        }
        return {**defaults, **self.data.get("exports", {})}

    @property
    def steps(self) -> tuple[StepSpec, ...]:
        """The steps: one for a single-event package, the sequence's steps (``until`` last)."""
        seq = self.data.get("sequence")
        if not seq:
            return (StepSpec(self.category),)
        specs = [*seq["steps"], *([seq["until"]] if seq.get("until") else [])]
        return tuple(
            StepSpec(
                s.get("category"),
                tuple(s.get("keys", ())),
                s.get("runs", 1),
                s.get("missing", False),
            )
            for s in specs
        )

    @property
    def module_path(self) -> Path:
        """The module file: ``module`` if given, else ``rule.wasm``, else ``rule.wat``."""
        if "module" in self.data:
            return self.directory / self.data["module"]
        wasm = self.directory / "rule.wasm"
        return wasm if wasm.exists() else self.directory / "rule.wat"

    def module_bytes(self) -> bytes:
        """The module as wasm bytes (a ``.wat`` file is assembled)."""
        import wasmtime

        path = self.module_path
        if not path.is_file():
            raise self.error("module", f"module file {path.name} not found")
        if path.suffix == ".wat":
            try:
                return bytes(wasmtime.wat2wasm(path.read_text("utf-8")))
            except wasmtime.WasmtimeError as exc:
                raise self.error("module", f"{path.name} is not valid WAT: {exc}") from exc
        return path.read_bytes()

    def error(self, key: str, problem: str) -> RuleError:
        """A :class:`RuleError` naming this package and the manifest key."""
        return manifest_error(self.directory, key, problem)


def _locate(text: str, key: str, file: str) -> SourceLocation:
    last = key.rsplit(".", 1)[-1].split("[", 1)[0]
    index = text.find(f'"{last}"') if last and last != "(top level)" else -1
    if index < 0:
        return SourceLocation(1, 1, text, file)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return SourceLocation(line, column, text, file, column + len(last) + 2)


def manifest_error(directory: Path, key: str, problem: str) -> RuleError:
    """A :class:`RuleError` for ``directory``'s manifest, located at ``key`` when it is found."""
    path = directory / MANIFEST
    try:
        text = path.read_text("utf-8")
    except OSError:
        text = ""
    message = f"wasm package {directory}: manifest key '{key}': {problem}"
    return RuleError(message, _locate(text, key, str(path)))


def load_manifest(directory: Path) -> Manifest:
    """Read and validate ``directory/manifest.json``; raise :class:`RuleError` on any problem."""
    path = directory / MANIFEST
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise RuleError(f"wasm package {directory}: cannot read {MANIFEST}: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        loc = SourceLocation(exc.lineno, exc.colno, text, str(path))
        raise RuleError(
            f"wasm package {directory}: {MANIFEST} is not JSON: {exc.msg}", loc
        ) from exc
    errors = schema_errors(data, manifest_schema())
    if errors:
        key, problem = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise manifest_error(directory, key, problem + more)
    manifest = Manifest(directory, data)
    if manifest.abi == "batch" and "batch" not in data:
        raise manifest.error("batch", "is required when abi is 'batch'")
    return manifest
