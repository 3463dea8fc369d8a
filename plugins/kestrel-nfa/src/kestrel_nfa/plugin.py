"""The kestrel-nfa plugin module, registered under the ``kestrel`` entry-point group."""

from __future__ import annotations

from kestrel_core import hookimpl
from kestrel_core.types import ConfigOption, SequenceEngine
from kestrel_nfa.engine import NfaEngine


@hookimpl
def kestrel_sequence_engines() -> list[SequenceEngine]:
    """The ``nfa`` engine."""
    return [
        SequenceEngine(
            name="nfa",
            factory=NfaEngine,
            config=(
                ConfigOption(
                    "max_samples_per_key",
                    type="int",
                    default=1,
                    description="samples a sample rule returns per join key",
                ),
            ),
        )
    ]
