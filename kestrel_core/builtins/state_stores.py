"""The built-in state stores, registered through the public ``kestrel_state_stores`` hook."""

from __future__ import annotations

from kestrel_core import hookimpl
from kestrel_core.state.memory import MemoryStore
from kestrel_core.types import ConfigOption, StateStore


@hookimpl
def kestrel_state_stores() -> list[StateStore]:
    """The ``memory`` store (the ``sqlite`` store joins it later)."""
    return [
        StateStore(
            name="memory",
            factory=MemoryStore,
            config=(
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
            ),
        )
    ]
