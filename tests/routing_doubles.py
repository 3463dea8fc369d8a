"""Stand-in routers for the wasm and lua routing tests (anything with ``candidates``)."""

from __future__ import annotations

from collections.abc import Sequence

from kestrel_core.events.model import Event


class FixedRouter:
    """A router whose candidates the test chooses: per event of the batch, by position."""

    def __init__(self, candidates: Sequence[tuple[int, ...]]) -> None:
        self.chosen = list(candidates)

    def candidates(self, events: Sequence[Event]) -> list[tuple[int, ...]]:
        return self.chosen[: len(events)]


class FailingRouter:
    """A router that fails on every batch."""

    def candidates(self, events: Sequence[Event]) -> list[tuple[int, ...]]:
        raise RuntimeError("router broke")
