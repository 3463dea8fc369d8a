"""Plugin discovery and loading.

The core's own plugins (``kestrel_core.builtins``) are registered first, directly, the way pytest
registers its default plugins; then every entry point of the ``kestrel`` group is loaded, one at a
time. A plugin that fails to import, register or answer a component hook is recorded with its
distribution, version and error and never breaks the others (``kestrel plugins list`` must always
work). ``KESTREL_STRICT_PLUGINS=1`` re-raises instead, for plugin authors.

Environment:

* ``KESTREL_DISABLE_PLUGINS=a,b``: skip these plugins (entry-point or distribution names).
* ``KESTREL_STRICT_PLUGINS=1``: a broken plugin raises instead of being recorded.
* ``KESTREL_DISABLE_PLUGIN_AUTOLOAD=1``: load only the built-in plugins (tests use this).
"""

from __future__ import annotations

import importlib
import os
import traceback
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal

import attrs
import pluggy

from kestrel_core import PLUGIN_API_VERSION, PROJECT_NAME, __version__, hookspecs
from kestrel_core.builtins import BUILTIN_MODULES
from kestrel_core.errors import PluginError
from kestrel_core.registry import ComponentRegistry
from kestrel_core.types import COMPONENT_TYPES, KIND_HOOKS, Component

ENTRY_POINT_GROUP = "kestrel"
CORE_DISTRIBUTION = "kestrel-core"

Status = Literal["active", "error", "disabled"]


@attrs.define
class PluginInfo:
    """What ``kestrel plugins list`` shows for one plugin."""

    name: str
    distribution: str | None
    version: str | None
    status: Status = "active"
    error: str | None = None
    module: str | None = None
    components: dict[str, list[str]] = attrs.Factory(dict)
    hooks: list[str] = attrs.Factory(list)
    plugin_objects: list[Any] = attrs.Factory(list)

    def to_json(self) -> dict[str, Any]:
        """The ``plugins list --json`` shape."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "components": {k: sorted(v) for k, v in sorted(self.components.items())},
            "hooks": sorted(self.hooks),
        }

    def describe(self) -> str:
        """``kestrel-wasm 0.1.0`` or the plugin name when it has no distribution."""
        if self.distribution:
            return f"{self.distribution} {self.version or ''}".strip()
        return self.name


def _env_list(name: str) -> set[str]:
    raw = os.environ.get(name, "")
    return {part.strip().lower() for part in raw.split(",") if part.strip()}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _format_error(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


class PluginManager:
    """Loads Kestrel plugins and builds the :class:`ComponentRegistry` from their hooks.

    Make a fresh one per engine (and per test); never share a global manager.
    """

    def __init__(
        self,
        *,
        autoload: bool | None = None,
        disabled: Iterable[str] | None = None,
        strict: bool | None = None,
        entry_points_source: Iterable[EntryPoint] | None = None,
    ) -> None:
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.autoload = (
            not _env_flag("KESTREL_DISABLE_PLUGIN_AUTOLOAD") if autoload is None else autoload
        )
        self.disabled = (
            {d.lower() for d in disabled}
            if disabled is not None
            else _env_list("KESTREL_DISABLE_PLUGINS")
        )
        self.strict = _env_flag("KESTREL_STRICT_PLUGINS") if strict is None else strict
        self._entry_points_source = entry_points_source
        self.plugins: list[PluginInfo] = []
        self._registry: ComponentRegistry | None = None
        self._loaded = False

    # ------------------------------------------------------------------ loading

    def load(self) -> PluginManager:
        """Register the built-in plugins, then every installed entry point. Idempotent."""
        if self._loaded:
            return self
        self._loaded = True
        self._load_builtins()
        if self.autoload:
            for ep in self._iter_entry_points():
                self._load_entry_point(ep)
        return self

    def _load_builtins(self) -> None:
        info = PluginInfo(
            name=CORE_DISTRIBUTION,
            distribution=CORE_DISTRIBUTION,
            version=__version__,
            module="kestrel_core.builtins",
        )
        self.plugins.append(info)
        for modname in BUILTIN_MODULES:
            try:
                module = importlib.import_module(modname)
                self.pm.register(module, name=modname)
                info.plugin_objects.append(module)
            except Exception as exc:  # a broken built-in must still be reported, not crash
                if self.strict:
                    raise
                info.status = "error"
                info.error = f"{modname}: {_format_error(exc)}"

    def _iter_entry_points(self) -> list[EntryPoint]:
        if self._entry_points_source is not None:
            eps = list(self._entry_points_source)
        else:
            eps = list(entry_points(group=ENTRY_POINT_GROUP))
        # One entry point per name: several copies of a distribution on sys.path can repeat it.
        seen: set[str] = set()
        unique = []
        for ep in sorted(eps, key=lambda e: e.name):
            if ep.name in seen:
                continue
            seen.add(ep.name)
            unique.append(ep)
        return unique

    def _load_entry_point(self, ep: EntryPoint) -> None:
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else None
        version = dist.version if dist is not None else None
        if ep.value.split(":")[0] == "kestrel_core.builtins":
            # The core's own entry point: already registered directly; record its metadata.
            core = self.plugins[0]
            core.distribution = dist_name or core.distribution
            core.version = version or core.version
            return
        info = PluginInfo(name=ep.name, distribution=dist_name, version=version, module=ep.value)
        self.plugins.append(info)
        if ep.name.lower() in self.disabled or (dist_name or "").lower() in self.disabled:
            info.status = "disabled"
            return
        try:
            obj = ep.load()
            if self.pm.is_registered(obj):
                raise PluginError(f"{ep.value} is already registered by another plugin")
            self.pm.register(obj, name=f"ep:{ep.name}")
            info.plugin_objects.append(obj)
        except Exception as exc:
            if self.strict:
                raise PluginError(
                    f"Failed to load Kestrel plugin {ep.name!r} ({info.describe()}): "
                    f"{_format_error(exc)}. Check that it is compatible with kestrel-core "
                    f"{__version__}."
                ) from exc
            info.status = "error"
            info.error = _format_error(exc)

    def register(self, plugin: object, name: str | None = None) -> PluginInfo:
        """Register an in-process plugin object (tests, embedding). Invalidates the registry."""
        self.load()
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        self.pm.register(plugin, name=name)
        info = PluginInfo(name=name, distribution=None, version=None, plugin_objects=[plugin])
        self.plugins.append(info)
        self._registry = None
        return info

    def unregister(self, name: str) -> None:
        """Remove a plugin registered with :meth:`register`."""
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        self.plugins = [p for p in self.plugins if p.name != name]
        self._registry = None

    # ------------------------------------------------------------------ components

    @property
    def hook(self) -> Any:
        """The pluggy hook relay (for lifecycle hooks)."""
        return self.pm.hook

    @property
    def registry(self) -> ComponentRegistry:
        """Every component of every active plugin, built once, checked for conflicts."""
        if self._registry is None:
            self.load()
            self._registry = self._build_registry()
        return self._registry

    def _build_registry(self) -> ComponentRegistry:
        registry = ComponentRegistry(self.plugins)
        for info in self.plugins:
            if info.status != "active":
                continue
            info.components = {}
            info.hooks = sorted(
                {
                    impl.function.__name__
                    for obj in info.plugin_objects
                    for impl in self._impls_of(obj)
                }
            )
            try:
                components = list(self._components_of(info))
            except Exception as exc:
                if self.strict:
                    raise
                info.status = "error"
                info.error = _format_error(exc)
                continue
            for comp in components:
                registry.add(comp, info)
                info.components.setdefault(comp.kind, []).append(comp.name)
        return registry

    def _impls_of(self, obj: object) -> list[pluggy.HookImpl]:
        impls = []
        for caller in self.pm.get_hookcallers(obj) or []:
            impls.extend(i for i in caller.get_hookimpls() if i.plugin is obj)
        return impls

    def _components_of(self, info: PluginInfo) -> Iterable[Component]:
        api_major = PLUGIN_API_VERSION.split(".")[0]
        for obj in info.plugin_objects:
            for impl in self._impls_of(obj):
                hook_name = impl.function.__name__
                if hook_name not in KIND_HOOKS.values():
                    continue
                result = impl.function() or []
                for comp in result:
                    if not isinstance(comp, COMPONENT_TYPES):
                        raise PluginError(
                            f"{hook_name} returned {type(comp).__name__}, expected one of "
                            + ", ".join(t.__name__ for t in COMPONENT_TYPES)
                        )
                    if KIND_HOOKS[comp.kind] != hook_name:
                        raise PluginError(
                            f"{hook_name} returned a {comp.kind} ({comp.name!r}); "
                            f"return it from {KIND_HOOKS[comp.kind]}"
                        )
                    if str(comp.api_version).split(".")[0] != api_major:
                        raise PluginError(
                            f"component {comp.name!r} was built for plugin API "
                            f"{comp.api_version}; kestrel-core {__version__} implements "
                            f"{PLUGIN_API_VERSION}"
                        )
                    yield comp


def load_plugins(**kwargs: Any) -> PluginManager:
    """A fresh, loaded :class:`PluginManager` (keyword arguments as for its constructor)."""
    return PluginManager(**kwargs).load()
