"""``kestrel.toml``: the engine configuration.

Every component is chosen by ``type`` with its options beside it (Vector, Sigma pipelines)::

    [engine]
    schema = "ecs"          # schema profile: ecs | endgame | sysmon | a plugin's
    runtime = "python"      # predicate runtime: python | wasm | lua | a plugin's
    sequence_engine = "nfa"
    workers = 0             # 0: one per core

    [rules]
    paths = ["rules/"]
    strict = false          # true: any rule that fails to load stops the start

    [state]
    type = "memory"         # memory | sqlite | a plugin's

    [[sources]]
    type = "file"
    path = "events.ndjson"

    [[sinks]]
    type = "stdout"

Command-line options override the file. The reference is docs/config.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import attrs

from kestrel_core.errors import ConfigError, LocatedError, SourceLocation

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@attrs.define
class ComponentConfig:
    """A ``type`` plus that component's options."""

    type: str
    options: dict[str, Any] = attrs.Factory(dict)


@attrs.define
class Config:
    """The whole configuration, with defaults for everything."""

    schema: str = "ecs"
    runtime: str = "python"
    sequence_engine: str = "nfa"
    workers: int = 0
    queue_size: int = 16
    queue_policy: str = "block"
    reload_interval: float = 2.0
    profile: bool = False
    schema_options: dict[str, Any] = attrs.Factory(dict)
    runtime_options: dict[str, Any] = attrs.Factory(dict)
    rule_paths: list[str] = attrs.Factory(list)
    strict_rules: bool = False
    state: ComponentConfig = attrs.Factory(lambda: ComponentConfig("memory"))
    sources: list[ComponentConfig] = attrs.Factory(list)
    sinks: list[ComponentConfig] = attrs.Factory(list)
    path: str | None = None
    base_dir: Path = attrs.Factory(Path.cwd)

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p


_TOP_KEYS = {"engine", "rules", "state", "sources", "sinks", "schema", "runtime"}
_ENGINE_KEYS = {
    "schema", "runtime", "sequence_engine", "workers", "queue_size", "queue_policy",
    "reload_interval", "profile",
}
_RULES_KEYS = {"paths", "strict"}


def _locate(text: str, key: str, path: str | None) -> SourceLocation | None:
    """Best effort: the first line where ``key`` is written as a key or a table name."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        for candidate in (f"{key} ", f"{key}=", f"[{key}]", f"[[{key}]]", f'"{key}"'):
            if stripped.startswith(candidate):
                return SourceLocation(number, line.index(stripped[0]) + 1, text, path)
    return None


def _error(message: str, text: str, key: str, path: str | None) -> LocatedError:
    return ConfigLocatedError(message, _locate(text, key, path))


class ConfigLocatedError(LocatedError):
    """A configuration error at a place in the file."""


def _component(raw: Any, where: str, text: str, path: str | None) -> ComponentConfig:
    if not isinstance(raw, dict):
        raise _error(f"{where} must be a table with a 'type' key", text, where, path)
    if "type" not in raw:
        raise _error(f"{where} has no 'type' key", text, where, path)
    options = {k: v for k, v in raw.items() if k != "type"}
    return ComponentConfig(str(raw["type"]), options)


def parse_config(text: str, path: str | None = None) -> Config:
    """Parse TOML text into a :class:`Config`; errors say the file, line and what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path or 'config'}: invalid TOML: {exc}") from exc
    cfg = Config(path=path, base_dir=Path(path).resolve().parent if path else Path.cwd())
    for key in data:
        if key not in _TOP_KEYS:
            raise _error(
                f"unknown section {key!r}; expected one of: {', '.join(sorted(_TOP_KEYS))}",
                text,
                key,
                path,
            )
    engine = data.get("engine", {})
    for key, value in engine.items():
        if key not in _ENGINE_KEYS:
            raise _error(
                f"unknown key engine.{key}; expected one of: {', '.join(sorted(_ENGINE_KEYS))}",
                text,
                key,
                path,
            )
        if key in ("workers", "queue_size"):
            if not isinstance(value, int) or value < (0 if key == "workers" else 1):
                raise _error(f"engine.{key} must be a whole number >= "
                             f"{0 if key == 'workers' else 1}", text, key, path)
            setattr(cfg, key, value)
        elif key == "queue_policy":
            if value not in ("block", "drop"):
                raise _error("engine.queue_policy must be 'block' or 'drop'", text, key, path)
            cfg.queue_policy = value
        elif key == "profile":
            if not isinstance(value, bool):
                raise _error("engine.profile must be true or false", text, key, path)
            cfg.profile = value
        elif key == "reload_interval":
            if not isinstance(value, (int, float)) or value < 0:
                raise _error("engine.reload_interval must be seconds >= 0", text, key, path)
            cfg.reload_interval = float(value)
        else:
            setattr(cfg, key, str(value))
    for section, attr in (("schema", "schema_options"), ("runtime", "runtime_options")):
        if section in data:
            comp = _component(data[section], section, text, path)
            setattr(cfg, section, comp.type)
            setattr(cfg, attr, comp.options)
    rules = data.get("rules", {})
    for key in rules:
        if key not in _RULES_KEYS:
            raise _error(f"unknown key rules.{key}; expected paths or strict", text, key, path)
    paths = rules.get("paths", [])
    if isinstance(paths, str):
        paths = [paths]
    cfg.rule_paths = [str(p) for p in paths]
    cfg.strict_rules = bool(rules.get("strict", False))
    if "state" in data:
        cfg.state = _component(data["state"], "state", text, path)
    cfg.sources = [_component(s, "sources", text, path) for s in data.get("sources", [])]
    cfg.sinks = [_component(s, "sinks", text, path) for s in data.get("sinks", [])]
    return cfg


def load_config(path: str | Path) -> Config:
    """Read and parse a ``kestrel.toml``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {p}: {exc.strerror}") from exc
    return parse_config(text, str(p))
