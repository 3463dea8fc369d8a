"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

from kestrel_core.config import Config, load_config


def load_optional_config(path: str | None) -> Config:
    """The config at ``path``, else ``./kestrel.toml`` if it exists, else the defaults."""
    if path is not None:
        return load_config(path)
    default = Path("kestrel.toml")
    if default.is_file():
        return load_config(default)
    return Config()
