"""The plugin registers the ``nfa`` engine through the public hook."""

from __future__ import annotations

import pluggy

from kestrel_core import PROJECT_NAME, hookspecs
from kestrel_core.state import MemoryStore
from kestrel_nfa import NfaEngine, plugin


def test_hook_returns_the_nfa_engine() -> None:
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(plugin, name="undo-kestrel-nfa")
    try:
        (engines,) = pm.hook.kestrel_sequence_engines()
        (engine,) = engines
        assert engine.name == "nfa"
        assert engine.factory is NfaEngine
        assert engine.description.startswith("NFA sequence engine")
        built = engine.factory([], MemoryStore(), max_samples_per_key=2)
        assert built.process is not None
    finally:
        pm.unregister(name="undo-kestrel-nfa")
