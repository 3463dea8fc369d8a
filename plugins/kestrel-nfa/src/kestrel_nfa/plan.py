"""Rule plans: a sequence or sample query flattened into what the matchers index by step.

A sequence's steps are expanded into *stages* (``with runs=N`` repeats a step N times). Stages
that are not missing events are the *positive* stages; a partial match advances through those.
Missing-event stages are classified by where they sit: *leading* (before the first positive
stage), *gaps* (between two positive stages) and *trailing* (after the last one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs

from kestrel_core.ir import JoinQuery, SampleQuery, SequenceQuery
from kestrel_nfa.join import JoinPlan
from kestrel_nfa.keys import KeyFunction, key_function

if TYPE_CHECKING:
    from kestrel_core.ir import Expr
    from kestrel_core.rules import Rule

#: Builds the key function of a step from its key expressions.
KeyBuilder = Callable[[Sequence["Expr"]], KeyFunction]


@attrs.frozen
class SequencePlan:
    """What the sequence matcher needs of one ``sequence`` rule.

    ``positions[step]``: the positive positions (indices into the positive stages) that a hit on
    query step ``step`` may fill, highest first. ``gap_positions[step]``: for a missing step between
    two positive stages, the positions ``j`` whose preceding gap it belongs to. ``slots`` is one
    pending partial per positive stage but the last. ``layout`` lists, per stage, whether it is
    missing, so a match can be laid out with ``None`` in missing slots.
    """

    rule_id: str
    layout: tuple[bool, ...]
    n_positive: int
    positions: dict[int, tuple[int, ...]]
    gap_positions: dict[int, tuple[int, ...]]
    gap_before: tuple[bool, ...]
    leading_steps: frozenset[int]
    trailing_steps: frozenset[int]
    until_step: int | None
    maxspan: int | None
    keys: tuple[KeyFunction, ...]

    @property
    def has_leading(self) -> bool:
        """Whether the sequence starts with missing-event steps."""
        return bool(self.leading_steps)

    @property
    def has_trailing(self) -> bool:
        """Whether the sequence ends with missing-event steps."""
        return bool(self.trailing_steps)


@attrs.frozen
class SamplePlan:
    """What the sample collector needs of one ``sample`` rule."""

    rule_id: str
    n_steps: int
    keys: tuple[KeyFunction, ...]


def plan_rule(
    rule: Rule, keys: KeyBuilder = key_function
) -> SequencePlan | SamplePlan | JoinPlan | None:
    """The plan of a sequence, sample or join rule; ``None`` for anything else (event
    queries). ``keys`` builds the steps' key functions (an engine shares them through a
    :class:`~kestrel_nfa.keys.KeyCache`)."""
    query = rule.query
    if query is None:
        return None
    body = query.body
    if isinstance(body, JoinQuery):
        steps = list(body.steps) + ([body.until] if body.until is not None else [])
        return JoinPlan(
            rule_id=rule.id,
            n_steps=len(body.steps),
            until_step=len(body.steps) if body.until is not None else None,
            keys=tuple(keys(step.keys) for step in steps),
        )
    if isinstance(body, SampleQuery):
        return SamplePlan(
            rule_id=rule.id,
            n_steps=len(body.steps),
            keys=tuple(keys(step.keys) for step in body.steps),
        )
    if not isinstance(body, SequenceQuery):
        return None
    return _plan_sequence(rule.id, body, keys)


def _plan_sequence(rule_id: str, body: SequenceQuery, keys: KeyBuilder) -> SequencePlan:
    stage_steps: list[int] = []
    layout: list[bool] = []
    for index, step in enumerate(body.steps):
        if step.runs < 1:
            raise ValueError(
                f"rule {rule_id!r}: step {index + 1} has runs={step.runs}; use 1 or more"
            )
        for _ in range(step.runs):
            stage_steps.append(index)
            layout.append(step.missing)
    positive = [i for i, missing in enumerate(layout) if not missing]
    if not positive:
        raise ValueError(
            f"rule {rule_id!r}: a sequence needs at least one step that is not missing"
        )
    first, last = positive[0], positive[-1]

    positions: dict[int, list[int]] = {}
    for j, stage in enumerate(positive):
        positions.setdefault(stage_steps[stage], []).append(j)

    gap_positions: dict[int, set[int]] = {}
    gap_before = [False] * len(positive)
    leading: set[int] = set()
    trailing: set[int] = set()
    j = 0
    for stage, missing in enumerate(layout):
        if not missing:
            j += 1
            continue
        step = stage_steps[stage]
        if stage < first:
            leading.add(step)
        elif stage > last:
            trailing.add(step)
        else:
            gap_positions.setdefault(step, set()).add(j)
            gap_before[j] = True

    steps = list(body.steps)
    until_step = None
    if body.until is not None:
        until_step = len(steps)
        steps.append(body.until)
    return SequencePlan(
        rule_id=rule_id,
        layout=tuple(layout),
        n_positive=len(positive),
        positions={s: tuple(sorted(js, reverse=True)) for s, js in positions.items()},
        gap_positions={s: tuple(sorted(js)) for s, js in gap_positions.items()},
        gap_before=tuple(gap_before),
        leading_steps=frozenset(leading),
        trailing_steps=frozenset(trailing),
        until_step=until_step,
        maxspan=body.maxspan_ns,
        keys=tuple(keys(step.keys) for step in steps),
    )
