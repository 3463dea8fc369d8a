"""The protocols between the engine and a predicate runtime."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.events.schema import Schema
    from kestrel_core.ir import Predicate

#: One hit: (index of the event in the batch, predicate id).
Hit = tuple[int, int]

#: Events per batch for a runtime that states no ``preferred_batch``.
DEFAULT_BATCH = 1024


@runtime_checkable
class CompiledPredicates(Protocol):
    """A rule set's predicates compiled by one runtime; evaluated a batch at a time."""

    predicates: Sequence[Predicate]

    def evaluate(self, events: Sequence[Event]) -> list[Hit]:
        """Every (event index, predicate id) whose condition is true, in event order and, for one
        event, in predicate id order. Must not raise for any event: a fault inside a predicate is
        counted in :meth:`stats` and treated as "no match"."""
        ...

    def stats(self) -> dict[str, Any]:
        """Counters: evaluations, faults, quarantined predicates and anything runtime-specific."""
        ...

    # Optional: ``captures`` (a mapping, or a method returning one) of (event index, predicate
    # id) -> what a package's ``pred_capture`` returned for the hits of the last ``evaluate``.
    # The engine puts it on the alert (``captures`` in the alert JSON).
    #
    # Optional: ``skips = True`` when ``evaluate(events, skip)`` takes a set of predicate ids
    # not to evaluate (their hits could change nothing: later steps of sequences that hold no
    # partial; the runtime may still evaluate them), and ``evaluate_more(events, start, ids)``
    # then gives the hits of some of those over ``events[start:]`` of the same batch (a
    # sequence the batch started needs them), with event indexes counted from ``events[0]``.


@runtime_checkable
class Runtime(Protocol):
    """What a ``PredicateRuntime`` factory returns."""

    name: str

    def compile(self, predicates: Sequence[Predicate], schema: Schema) -> CompiledPredicates:
        """Compile the whole set at once. Raise :class:`kestrel_core.errors.CompileError` naming
        the predicate's rule when a construct cannot be compiled."""
        ...

    def source(self, predicates: Sequence[Predicate], schema: Schema) -> str:
        """The generated source for the set (``kestrel compile --emit NAME``)."""
        ...

    # Optional: ``preferred_batch`` (int), the events per batch this runtime runs best with.
    # The engine reads and detects in batches of the largest preference of the runtimes it
    # uses (default :data:`DEFAULT_BATCH`) unless told otherwise (``kestrel run --batch-size``):
    # a runtime paying a fixed cost per call (wasm, Lua) wants large batches; the python
    # runtime, small ones, so the decoded events are still in the CPU cache when it reads them.
