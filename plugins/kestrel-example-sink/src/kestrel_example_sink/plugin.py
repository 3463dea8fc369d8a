"""An example third-party Kestrel plugin: the ``rule_counts`` alert sink.

It is the smallest complete plugin: one hook implementation returning one component, a
``pyproject.toml`` that registers this module under the ``kestrel`` entry-point group, and tests.
Copy this folder to start your own plugin (docs/plugins.md walks through it).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from kestrel_core import hookimpl
from kestrel_core.alerts import Alert
from kestrel_core.types import AlertSink, ConfigOption


class RuleCountSink:
    """Count alerts per rule and write the counts as JSON when the engine stops."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.counts: Counter[str] = Counter()

    def send(self, alerts: Sequence[Alert]) -> None:
        """Count each alert under its rule id."""
        self.counts.update(a.rule_id for a in alerts)

    def flush(self) -> None:
        """Write the counts so far."""
        self.path.write_text(json.dumps(dict(sorted(self.counts.items())), indent=2) + "\n")

    def close(self) -> None:
        """Write the final counts."""
        self.flush()


@hookimpl
def kestrel_alert_sinks() -> list[AlertSink]:
    """Register the ``rule_counts`` sink."""
    return [
        AlertSink(
            name="rule_counts",
            factory=RuleCountSink,
            config=(ConfigOption("path", "str", required=True, description="JSON file to write"),),
        )
    ]
