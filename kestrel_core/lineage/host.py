"""Conditions the host decides: lineage and array functions, around the compiled runtimes.

For every predicate whose condition uses :class:`~kestrel_core.ir.Lineage` or a host function
(:data:`kestrel_core.runtime.functions.HOST_FUNCTIONS`), the runtime gets a *relaxed* condition:
each such part, or the smallest comparison holding it, becomes ``true`` where it stands under an
even number of ``not`` and ``false`` under an odd number. Three-valued ``and``/``or`` are
monotone, so the relaxed condition is true whenever the real one is: the runtime only narrows
the events down, with all its indexes, and never calls back per event. For the events that
pass, the host evaluates the real condition with the reference interpreter, lineage parts read
from the :class:`~kestrel_core.lineage.tree.ProcessTree`.

Each distinct inner query of a lineage node (``[process where ...]``) becomes a hidden predicate
compiled with the rest; an event matching it makes its process a *source* of that query's mark
(a short hash of the query, stable across restarts). Per event, in order: the tree follows
process starts and ends, then the hidden predicates mark their sources (inner queries of nested
lineage first), then the rule predicates are decided.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from kestrel_core import ir
from kestrel_core.runtime.functions import HOST_FUNCTIONS
from kestrel_core.runtime.interpreter import matches

if TYPE_CHECKING:
    from kestrel_core.events.model import Event
    from kestrel_core.lineage.tree import ProcessTree


def _host_node(node: ir.Expr) -> bool:
    return isinstance(node, ir.Lineage) or (
        isinstance(node, ir.Call) and node.name in HOST_FUNCTIONS
    )


def needs_host(expr: ir.Expr) -> bool:
    """Whether ``expr`` uses lineage or a host function."""
    return any(_host_node(node) for node in ir.walk(expr))


def relax(expr: ir.Expr, positive: bool = True) -> ir.Expr:
    """``expr`` with its host-decided parts replaced by constants that only widen the match."""
    if not needs_host(expr):
        return expr
    if isinstance(expr, ir.And):
        return ir.And(tuple(relax(op, positive) for op in expr.operands))
    if isinstance(expr, ir.Or):
        return ir.Or(tuple(relax(op, positive) for op in expr.operands))
    if isinstance(expr, ir.Not):
        return ir.Not(relax(expr.operand, not positive))
    return ir.TRUE if positive else ir.FALSE


def lineage_nodes(expr: ir.Expr) -> list[ir.Lineage]:
    """The lineage nodes of a condition (not those inside their own inner queries)."""
    return [node for node in ir.walk(expr) if isinstance(node, ir.Lineage)]


def resolve(expr: Any, answer: Callable[[ir.Lineage], bool]) -> Any:
    """``expr`` with every lineage node replaced by its answer for one event."""
    if isinstance(expr, ir.Lineage):
        return ir.Literal(answer(expr))
    if isinstance(expr, tuple):
        return tuple(resolve(e, answer) for e in expr)
    if not attrs.has(type(expr)) or isinstance(expr, ir.EventQuery):
        return expr
    changes = {}
    for field in attrs.fields(type(expr)):
        value = getattr(expr, field.name)
        if isinstance(value, (tuple, ir.Lineage)) or attrs.has(type(value)):
            new = resolve(value, answer)
            if new is not value:
                changes[field.name] = new
    return attrs.evolve(expr, **changes) if changes else expr


def mark_of(query: ir.EventQuery) -> str:
    """The mark of a lineage inner query: a short hash of its IR, stable across restarts."""
    return hashlib.sha1(repr(query).encode("utf-8")).hexdigest()[:16]


@attrs.define
class _Check:
    condition: ir.Expr
    has_lineage: bool


class HostConditions:
    """Plans the predicates of a rule set around host-decided conditions, and decides them.

    ``predicates`` are the rule set's (dense ids). :attr:`runtime_predicates` is what the
    runtime compiles: every predicate, relaxed where needed, followed by the hidden predicates
    of the lineage inner queries. :attr:`uses_lineage` says whether a process tree is needed.
    """

    def __init__(self, predicates: Sequence[ir.Predicate]) -> None:
        self.n_rules = len(predicates)
        self.runtime_predicates: list[ir.Predicate] = []
        self.checks: dict[int, _Check] = {}
        #: hidden predicate id -> (depth, mark)
        self.hidden: dict[int, tuple[int, str]] = {}
        self._marks: dict[ir.EventQuery, str] = {}
        pending: list[tuple[ir.Predicate, int]] = [(p, 0) for p in predicates]
        queue_index = 0
        while queue_index < len(pending):
            pred, depth = pending[queue_index]
            queue_index += 1
            condition = pred.condition
            if needs_host(condition):
                self.checks[pred.id] = _Check(condition, bool(lineage_nodes(condition)))
                pred = attrs.evolve(pred, condition=relax(condition))
            self.runtime_predicates.append(pred)
            for node in lineage_nodes(condition):
                if node.query in self._marks:
                    continue
                mark = mark_of(node.query)
                self._marks[node.query] = mark
                hidden_id = len(predicates) + len(self.hidden)
                self.hidden[hidden_id] = (depth + 1, mark)
                inner = ir.Predicate(
                    hidden_id, pred.rule_id, -1, node.query.category, node.query.condition
                )
                pending.append((inner, depth + 1))
        self.uses_lineage = bool(self._marks)

    @property
    def active(self) -> bool:
        """Whether any predicate needs the host."""
        return bool(self.checks) or bool(self.hidden)

    def decide(self, pred_id: int, event: Event, tree: ProcessTree | None) -> bool:
        """The real condition of ``pred_id`` on ``event``."""
        check = self.checks.get(pred_id)
        if check is None:
            return True
        condition = check.condition
        if check.has_lineage and tree is not None:
            marks = self._marks
            condition = resolve(
                condition, lambda node: tree.holds(event, node.relation, marks[node.query])
            )
        return matches(condition, event)

    def filter(
        self, events: Sequence[Event], hits: list[tuple[int, int]], tree: ProcessTree | None
    ) -> list[tuple[int, int]]:
        """The hits of the rule predicates whose real condition holds, in order; the tree
        follows every event and the hidden predicates mark their sources on the way."""
        by_event: dict[int, list[int]] = {}
        for event_index, pred_id in hits:
            by_event.setdefault(event_index, []).append(pred_id)
        out: list[tuple[int, int]] = []
        indices = range(len(events)) if tree is not None else sorted(by_event)
        hidden = self.hidden
        for i in indices:
            event = events[i]
            if tree is not None:
                tree.observe(event)
            preds = by_event.get(i)
            if not preds:
                continue
            inner = [p for p in preds if p in hidden]
            if inner and tree is not None:
                inner.sort(key=lambda p: -hidden[p][0])
                for pred_id in inner:
                    if self.decide(pred_id, event, tree):
                        tree.mark(event, hidden[pred_id][1])
            for pred_id in preds:
                if pred_id not in hidden and self.decide(pred_id, event, tree):
                    out.append((i, pred_id))
        return out
