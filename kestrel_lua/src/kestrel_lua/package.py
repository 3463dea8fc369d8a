"""The ``lua_package`` rule format: a directory with manifest.json whose runtime is ``lua``."""

from __future__ import annotations

import json
from pathlib import Path

import lupa.luajit21 as lupa

from kestrel_core import ir
from kestrel_core.rules import Rule
from kestrel_lua.manifest import MANIFEST, Manifest, load_manifest


def check_syntax(manifest: Manifest) -> None:
    """Parse (never run) the package's Lua; a :class:`RuleError` names the package and line."""
    rt = lupa.LuaRuntime(register_eval=False, register_builtins=False)
    parse = rt.eval(
        "function(text) local f, err = loadstring(text, '=predicate.lua') return err end"
    )
    err = parse(manifest.code)
    if err is not None:
        raise manifest.error("module", f"Lua syntax error: {err}")


class LuaPackageFormat:
    """Hand-written Lua rule packages (a directory with manifest.json, runtime "lua")."""

    name = "lua_package"

    def claims(self, path: Path) -> bool:
        """A directory holding a manifest.json whose ``runtime`` is ``lua``."""
        path = Path(path)
        manifest = path / MANIFEST
        if not path.is_dir() or not manifest.is_file():
            return False
        try:
            data = json.loads(manifest.read_text("utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and data.get("runtime") == "lua"

    def load(self, path: Path) -> list[Rule]:
        """One rule whose condition is the package (``ir.External("lua", dir, 0)``)."""
        directory = Path(path).resolve()
        manifest = load_manifest(directory)
        check_syntax(manifest)
        meta = manifest.rule
        query = ir.Query(ir.EventQuery(manifest.category, ir.External("lua", str(directory), 0)))
        return [
            Rule(
                id=manifest.id,
                name=str(meta["name"]),
                query=query,
                severity=str(meta.get("severity", "medium")),
                risk_score=meta.get("risk_score"),
                tags=tuple(meta.get("tags", ())),
                description=str(meta.get("description", "")),
                source=str(directory),
                format=self.name,
                text=manifest.code,
                runtime="lua",
                package=manifest,
            )
        ]
