"""The built-in state stores, registered through the public ``kestrel_state_stores`` hook."""

from __future__ import annotations

from kestrel_core import hookimpl
from kestrel_core.state.memory import MemoryStore
from kestrel_core.state.sqlite import SqliteStore
from kestrel_core.types import ConfigOption, StateStore


@hookimpl
def kestrel_state_stores() -> list[StateStore]:
    """The ``memory`` store and the ``sqlite`` store (memory plus durable checkpoints)."""
    quotas = (
        ConfigOption(
            "max_partials_per_rule",
            type="int",
            default=100_000,
            description="partial matches one rule may hold; the least recently "
            "written join keys are evicted beyond it",
        ),
        ConfigOption(
            "max_partials_per_key",
            type="int",
            default=100,
            description="partial matches one join key of one rule may hold",
        ),
    )
    return [
        StateStore(
            name="memory",
            factory=MemoryStore,
            config=quotas,
        ),
        StateStore(
            name="sqlite",
            factory=SqliteStore,
            config=(
                ConfigOption("path", "str", "kestrel-state.db", "the SQLite database file"),
                ConfigOption(
                    "checkpoint_interval",
                    "float",
                    5.0,
                    "seconds between checkpoints of state and source position (0: at shutdown)",
                ),
                *quotas,
            ),
        ),
    ]
