"""The ``python`` predicate runtime: a rule set compiled into one generated Python module."""

from __future__ import annotations

import sys
import time
import types
from collections import Counter
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

import ahocorasick

from kestrel_core import native
from kestrel_core.events.fields import FlatView, lookup
from kestrel_core.runtime import functions, patterns
from kestrel_core.runtime.python import helpers
from kestrel_core.runtime.python.module import generate

if TYPE_CHECKING:
    from collections.abc import Callable

    from kestrel_core.events.model import Event
    from kestrel_core.events.schema import Schema
    from kestrel_core.ir import Predicate
    from kestrel_core.runtime.api import Hit


def build_automaton(table: dict[str, tuple[Any, ...]]) -> Callable[[str], Any]:
    """An Aho-Corasick automaton over ``table``'s literals; returns its ``iter`` method, which
    yields ``(end, value)`` for every occurrence of a literal."""
    automaton = ahocorasick.Automaton()
    for literal, value in table.items():
        automaton.add_word(literal, value)
    automaton.make_automaton()
    return automaton.iter


class CompiledPythonPredicates:
    """A rule set's predicates as one generated Python module (see :mod:`.module`)."""

    def __init__(
        self, predicates: Sequence[Predicate], use_index: bool = True, programs: bool = False
    ) -> None:
        started = time.perf_counter()
        self.predicates = list(predicates)
        self.source, routes = generate(self.predicates, use_index=use_index, programs=programs)
        self._faults: Counter[str] = Counter()
        self.last_fault: str | None = None
        namespace = namespace_for(self._fault)
        code = compile(self.source, "<kestrel python predicates>", "exec")
        exec(interned(code), namespace)
        self._evaluate: Callable[..., list[Hit]] = namespace["_evaluate"]
        self._evaluate_more: Callable[..., list[Hit]] = namespace["_evaluate_more"]
        self._evaluated: list[int] = namespace["_COUNTS"]
        self._counters = {"events": 0, "batches": 0, "hits": 0, "rescanned_events": 0}
        self._static = {
            "predicates": len(self.predicates),
            **routes,
            "compile_seconds": round(time.perf_counter() - started, 3),
            "source_lines": self.source.count("\n"),
        }

    def _fault(self, where: str, exc: BaseException) -> None:
        self._faults[where] += 1
        self.last_fault = f"{where}: {type(exc).__name__}: {exc}"

    #: :meth:`evaluate` takes ``skip`` (see :class:`~kestrel_core.runtime.api.CompiledPredicates`)
    skips = True

    def evaluate(
        self, events: Sequence[Event], skip: AbstractSet[int] | None = None
    ) -> list[Hit]:
        """Every (event index, predicate id) whose condition is true, in event order and, per
        event, in predicate id order; predicates in ``skip`` are not evaluated. Never raises for
        an event: faults are counted."""
        hits = self._evaluate(events, skip)
        counters = self._counters
        counters["events"] += len(events)
        counters["batches"] += 1
        counters["hits"] += len(hits)
        return hits

    def evaluate_more(self, events: Sequence[Event], start: int, ids: Sequence[int]) -> list[Hit]:
        """After ``evaluate(events, skip)``: the hits of ``ids`` (skipped then) over
        ``events[start:]``, event indexes counted from ``events[0]``; the flat views of the
        first pass are read again, and each predicate is run on the events of its category."""
        by_category: dict[str | None, list[int]] = {}
        for p in ids:
            by_category.setdefault(self.predicates[p].category, []).append(p)
        hits = self._evaluate_more(events, start, by_category)
        self._counters["rescanned_events"] += len(events) - start
        self._counters["hits"] += len(hits)
        return hits

    def stats(self) -> dict[str, Any]:
        """Counters (events, batches, hits, faults) and the routing of the predicates."""
        return {
            **self._counters,
            "evaluations": self._counters["events"],
            # predicates evaluated (candidates found by the routing, plus the scanned ones)
            "predicates_evaluated": self._evaluated[0],
            "predicates_per_event": round(self._evaluated[0] / max(1, self._counters["events"]), 3),
            "faults": sum(self._faults.values()),
            "faults_by_function": dict(self._faults),
            "last_fault": self.last_fault,
            "quarantined": 0,
            **self._static,
        }


def interned(const: Any) -> Any:
    """``const`` (a code object, or one of its constants) with every string in it interned.

    The generated module names a field in many places (a program's leaves, a Python leaf's
    ``ff.get``, the routing tables, the needs of a predicate) and the flat view holds it under
    the name :class:`~kestrel_core.events.fields.FlatView` interned: with both the same object,
    a dict lookup ends at the identity test instead of comparing the characters (dotted names
    are not interned by the compiler, which interns identifier-like constants only).
    """
    if type(const) is str:
        return sys.intern(const)
    if type(const) is tuple:
        return tuple(interned(c) for c in const)
    if isinstance(const, types.CodeType):
        return const.replace(co_consts=tuple(interned(c) for c in const.co_consts))
    return const


def namespace_for(fault: Callable[[str, BaseException], None]) -> dict[str, Any]:
    """The globals the generated module runs with."""
    namespace: dict[str, Any] = dict(helpers.NAMESPACE)
    namespace.update({f"_f_{name}": fn for name, fn in functions.FUNCTIONS.items()})
    namespace.update(
        {
            "__name__": "kestrel_python_predicates",
            "_lookup": lookup,
            "_flat_view": FlatView,
            "_regex": patterns.compile_regex,
            "_contains_any": patterns.contains_any,
            "_automaton": build_automaton,
            "_cidr_blocks": functions.CidrBlocks,
            "_fault": fault,
            "_route_fields": native.route_fields,
            "_call_candidates": native.call_candidates,
            "_candidate_ids": native.candidate_ids,
        }
    )
    return namespace


class PythonRuntime:
    """Compiles a rule set's IR into one generated Python function (built in)."""

    name = "python"
    #: Small batches: the events just decoded are still in the CPU cache when the predicates
    #: read them (measured, 100,000 events, 1 worker, end to end, medians: one rule about
    #: 51,000 events/s in batches of 1,024 against 120,000-133,000 in batches of 8 to 64; all
    #: Elastic rules 15,197 against 19,000-21,000 in batches of 32).
    preferred_batch = 32

    def __init__(self, index: bool = True, programs: bool | None = None) -> None:
        self.index = index
        #: Predicates as programs run by the native evaluator (the default when the native
        #: speedups are built; see :mod:`.program`), else as generated Python functions.
        self.programs = native.NATIVE if programs is None else programs

    def compile(
        self, predicates: Sequence[Predicate], schema: Schema | None = None
    ) -> CompiledPythonPredicates:
        """Compile the whole set at once; :class:`~kestrel_core.errors.CompileError` names the
        rule whose condition cannot be compiled."""
        del schema  # field access follows kestrel_core.events.fields.lookup for every schema
        return CompiledPythonPredicates(
            predicates, use_index=self.index, programs=self.programs
        )

    def source(self, predicates: Sequence[Predicate], schema: Schema | None = None) -> str:
        """The generated module's source (``kestrel compile --emit python``)."""
        del schema
        return generate(list(predicates), use_index=self.index, programs=self.programs)[0]
