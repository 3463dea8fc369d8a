"""Small builders for tests of sequence engines: rules, events and a feeding loop.

Rule formats are not needed: rules are built straight in the IR. ``condition`` defaults to
``true``; the feeding loop asks a ``hits`` function which steps an event satisfies.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from kestrel_core.events.model import Event
from kestrel_core.ir import (
    TRUE,
    EventQuery,
    Expr,
    Field,
    Query,
    SampleQuery,
    SequenceQuery,
    Step,
)
from kestrel_core.rules import Rule
from kestrel_nfa.match import Match


def field(dotted: str, *, optional: bool = False) -> Field:
    """A field load from a dotted name: ``field("process.pid")``."""
    return Field(tuple(dotted.split(".")), optional=optional)


def step(
    category: str | None = None,
    condition: Expr = TRUE,
    *,
    keys: Sequence[Expr] = (),
    runs: int = 1,
    missing: bool = False,
) -> Step:
    """One step; ``keys`` are the step's own ``by`` keys (query-level ones are added later)."""
    return Step(EventQuery(category, condition), tuple(keys), runs, missing)


def _with_keys(steps: Sequence[Step], by: Sequence[Expr]) -> tuple[Step, ...]:
    return tuple(Step(s.query, (*by, *s.keys), s.runs, s.missing) for s in steps)


def sequence_rule(
    rule_id: str,
    steps: Sequence[Step],
    *,
    by: Sequence[Expr] = (),
    maxspan: int | None = None,
    until: Step | None = None,
) -> Rule:
    """A ``sequence`` rule; query-level ``by`` keys are prepended to every step's keys."""
    body = SequenceQuery(
        _with_keys(steps, by),
        maxspan,
        None if until is None else _with_keys([until], by)[0],
    )
    return Rule(id=rule_id, name=rule_id, query=Query(body))


def sample_rule(rule_id: str, steps: Sequence[Step], *, by: Sequence[Expr] = ()) -> Rule:
    """A ``sample`` rule; query-level ``by`` keys are prepended to every step's keys."""
    return Rule(id=rule_id, name=rule_id, query=Query(SampleQuery(_with_keys(steps, by))))


def make_event(
    timestamp: int | None,
    fields: dict[str, Any] | None = None,
    *,
    category: str = "any",
    tiebreaker: Any = None,
    seq: int = 0,
) -> Event:
    """An event whose record is its fields."""
    fields = {} if fields is None else fields
    return Event((category,), timestamp, tiebreaker, fields, fields, seq)


HitFunction = Callable[[Event], Sequence[tuple[str, int]]]


def feed(engine: Any, events: Iterable[Event], hits: HitFunction) -> list[Match]:
    """Run events through an engine (``process`` each, then ``finish``); return all matches."""
    out: list[Match] = []
    for event in events:
        found = hits(event)
        if found or engine.needs_all_events:
            out.extend(engine.process(event, found))
    out.extend(engine.finish())
    return out


def conformance_root() -> Path:
    """``$KESTREL_CONFORMANCE_DIR``, else ``../shared/conformance`` beside the repository root
    (found from the current directory upwards by its ``pyproject.toml`` + ``kestrel_core``)."""
    env = os.environ.get("KESTREL_CONFORMANCE_DIR")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "kestrel_core").is_dir() and (folder / "pyproject.toml").is_file():
            return (folder / ".." / "shared" / "conformance").resolve()
    return (here / ".." / "shared" / "conformance").resolve()
