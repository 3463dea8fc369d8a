"""The component registry: every component of every active plugin, by kind and name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kestrel_core.errors import ConfigError, PluginError
from kestrel_core.types import KIND_LABELS, Component, normalize_name

if TYPE_CHECKING:
    from kestrel_core.plugins import PluginInfo

#: Which first-party distribution provides a well-known component, for "install X" hints.
KNOWN_PROVIDERS: dict[tuple[str, str], str] = {
    ("predicate_runtime", "wasm"): "kestrel-wasm",
    ("predicate_runtime", "lua"): "kestrel-lua",
    ("sequence_engine", "nfa"): "kestrel-nfa",
    ("alert_sink", "stdout"): "kestrel-sinks",
    ("alert_sink", "file"): "kestrel-sinks",
    ("rule_format", "eql"): "kestrel-eql",
    ("rule_format", "elastic"): "kestrel-eql",
    ("rule_format", "wasm_package"): "kestrel-wasm",
    ("rule_format", "lua_package"): "kestrel-lua",
}


class ComponentRegistry:
    """Components by kind and name, with the plugin that provides each."""

    def __init__(self, plugins: list[PluginInfo]) -> None:
        self._plugins = plugins
        self._by_kind: dict[str, dict[str, tuple[Component, PluginInfo]]] = {}

    def add(self, component: Component, owner: PluginInfo) -> None:
        """Add a component; two plugins claiming one kind and name is a :class:`PluginError`."""
        slot = self._by_kind.setdefault(component.kind, {})
        if component.name in slot:
            other = slot[component.name][1]
            label = KIND_LABELS.get(component.kind, component.kind)
            raise PluginError(
                f"conflicting plugins for {label} {component.name!r}: provided by "
                f"{other.describe()} and by {owner.describe()}; uninstall or disable one "
                "(KESTREL_DISABLE_PLUGINS)"
            )
        slot[component.name] = (component, owner)

    def names(self, kind: str) -> list[str]:
        """Sorted names of the components of a kind."""
        return sorted(self._by_kind.get(kind, {}))

    def all(self, kind: str) -> list[Component]:
        """The components of a kind in registration order."""
        return [c for c, _ in self._by_kind.get(kind, {}).values()]

    def owner(self, kind: str, name: str) -> PluginInfo | None:
        """The plugin providing a component, or ``None``."""
        entry = self._by_kind.get(kind, {}).get(normalize_name(name))
        return entry[1] if entry else None

    def get(self, kind: str, name: str) -> Component:
        """The component, or a :class:`ConfigError` saying what is available and what to install.

        Example message: ``unknown predicate runtime 'wasm'; available: lua, python; install
        kestrel-wasm``.
        """
        label = KIND_LABELS.get(kind, kind)
        try:
            key = normalize_name(name)
        except ValueError as exc:
            raise ConfigError(f"invalid {label} name {name!r}: {exc}") from exc
        entry = self._by_kind.get(kind, {}).get(key)
        if entry is not None:
            return entry[0]
        available = ", ".join(self.names(kind)) or "none"
        message = f"unknown {label} {name!r}; available: {available}"
        provider = KNOWN_PROVIDERS.get((kind, key))
        if provider:
            broken = next(
                (p for p in self._plugins if p.distribution == provider and p.status != "active"),
                None,
            )
            if broken is not None and broken.status == "error":
                message += f"; the plugin {broken.describe()} failed to load: {broken.error}"
            elif broken is not None:
                message += f"; the plugin {broken.describe()} is disabled"
            else:
                message += f"; install {provider}"
        raise ConfigError(message)
