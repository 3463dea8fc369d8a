"""The ``wasm_package`` rule format: a directory with ``manifest.json`` and ``rule.wasm``/``.wat``.

A single-event package becomes ``category where External("wasm", <dir>, 0)``; a multi-step package
a ``SequenceQuery`` whose steps are ``External`` steps, with the join keys, ``maxspan`` and
``until`` of the manifest's ``sequence``, so the sequence engine drives its steps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import wasmtime

from kestrel_core import ir
from kestrel_core.rules import Rule
from kestrel_wasm.manifest import MANIFEST, Manifest, load_manifest, parse_field

#: Exports each ABI requires (names after the manifest's ``exports`` overrides).
REQUIRED = {"v1": ("init", "eval"), "batch": ("batch",)}


def check_exports(manifest: Manifest, wasm: bytes) -> None:
    """Raise a located :class:`RuleError` when the module lacks an export its ABI requires."""
    try:
        module = wasmtime.Module(wasmtime.Engine(), wasm)
    except wasmtime.WasmtimeError as exc:
        raise manifest.error("module", f"not a valid wasm module: {exc}") from exc
    names = {e.name for e in module.exports}
    wanted = [manifest.exports[k] for k in REQUIRED[manifest.abi]]
    if manifest.abi == "v1" and manifest.data.get("exports", {}).get("steps"):
        wanted = [manifest.exports["init"], *manifest.exports["steps"]]
    wanted.append("memory")
    missing = [w for w in wanted if w not in names]
    if missing:
        raise manifest.error(
            "exports",
            f"the module does not export {', '.join(map(repr, missing))} "
            f"(abi {manifest.abi!r} needs them; "
            f"it exports {', '.join(sorted(names)) or 'nothing'})",
        )


def package_query(manifest: Manifest) -> ir.Query:
    """The IR query of a package: External steps (and the sequence spec when there is one)."""
    ref = str(manifest.directory.resolve())
    specs = manifest.steps
    seq = manifest.data.get("sequence")
    if not seq:
        return ir.Query(ir.EventQuery(specs[0].category, ir.External("wasm", ref, 0)))
    steps = [
        ir.Step(
            ir.EventQuery(s.category, ir.External("wasm", ref, i)),
            tuple(ir.Field(parse_field(k)) for k in s.keys),
            s.runs,
            s.missing,
        )
        for i, s in enumerate(specs)
    ]
    until = steps.pop() if seq.get("until") else None
    maxspan = seq.get("maxspan_ms")
    return ir.Query(
        ir.SequenceQuery(tuple(steps), None if maxspan is None else maxspan * 1_000_000, until)
    )


class WasmPackageFormat:
    """WebAssembly rule packages: a directory with manifest.json and rule.wasm or rule.wat."""

    name = "wasm_package"

    def __init__(self, **_options: Any) -> None:
        pass

    def claims(self, path: Path) -> bool:
        """A directory holding a ``manifest.json`` whose ``runtime`` is ``wasm``."""
        manifest = Path(path) / MANIFEST
        if not manifest.is_file():
            return False
        try:
            return json.loads(manifest.read_text("utf-8")).get("runtime") == "wasm"
        except (OSError, ValueError, AttributeError):
            return True  # ours by shape; load() reports what is wrong with it

    def load(self, path: Path) -> list[Rule]:
        """Validate the manifest and the module's exports; return the package's rule."""
        manifest = load_manifest(Path(path))
        check_exports(manifest, manifest.module_bytes())
        meta = manifest.rule
        return [
            Rule(
                id=meta["id"],
                name=meta["name"],
                query=package_query(manifest),
                severity=meta.get("severity", "medium"),
                risk_score=meta.get("risk_score"),
                tags=tuple(meta.get("tags", ())),
                description=meta.get("description", ""),
                source=str(Path(path) / MANIFEST),
                format=self.name,
                runtime="wasm",
                package=manifest,
            )
        ]
