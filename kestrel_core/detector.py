"""The detection core shared by ``kestrel query`` and ``kestrel run``.

Events go in, in the order they should be matched (sorted for a hunting query, arrival order for
the streaming engine), a batch at a time. The predicate runtime evaluates every step condition of
every rule over the batch; hits of event rules become matches at once, hits of sequence and
sample rules go to the sequence engine, which keeps partial matches in the state store.

Conditions the runtimes cannot decide (process lineage, array functions) are planned around
them by :class:`~kestrel_core.lineage.HostConditions`: the runtime evaluates a relaxed
condition and the host decides the events that pass it, against the process tree kept in the
state store. With ``apply_pipes`` (``kestrel run``), each rule's pipes run on its matches as
they come (:class:`~kestrel_core.pipes.PipeStream`); ``kestrel query`` applies them itself,
after ordering.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import attrs

from kestrel_core.errors import ConfigError
from kestrel_core.events.model import Event
from kestrel_core.events.profiles import lineage_fields
from kestrel_core.ir import Predicate, predicates_for
from kestrel_core.lineage import LINEAGE_RULE, HostConditions, ProcessTree
from kestrel_core.pipes import PipeStream
from kestrel_core.rules import Rule
from kestrel_core.runtime.api import DEFAULT_BATCH


@attrs.define(frozen=True)
class Match:
    """A rule matched: its evidence events (``None`` in a missing-event slot) and join keys."""

    rule_id: str
    events: tuple[Event | None, ...]
    join_keys: tuple[Any, ...] = ()
    #: ``seq`` of the event whose processing completed the match (-1: at end of input). Merging
    #: the alerts of several workers by it reproduces the single-worker order.
    emitted_seq: int = -1
    #: What a rule package's ``pred_capture`` returned for this event (event rules), else None.
    captures: Any = None
    #: What aggregating pipes added (``count``, ``key``, ``percent``), else None.
    aggregates: dict[str, Any] | None = None


class IdleSkipping:
    """The predicates not worth evaluating for a batch: the later steps of sequences that hold
    no partial (the sequence engine's ``idle_steps()``), whose hits it would drop unseen.

    Skipping them must not lose a hit the engine would have used: when a step that can start a
    partial of such a rule hits at event ``i`` of the batch, the rule's skipped predicates are
    evaluated over the events after ``i`` (at ``i`` itself the engine drops them: it decides
    what is idle before it applies an event's hits). The rules started in one batch share one
    such pass, from the first start.
    """

    def __init__(self, engine: Any, predicates: Sequence[Predicate]) -> None:
        """``predicates``: those of the runtime, in the order of its (dense) ids."""
        self.engine = engine
        #: the runtime's ids of each (rule id, step)
        self.local: dict[tuple[str, int], list[int]] = {}
        self.rule_of: list[str] = []
        for local, pred in enumerate(predicates):
            self.local.setdefault((pred.rule_id, pred.step), []).append(local)
            self.rule_of.append(pred.rule_id)
        self._seen: Any = None
        self._skip: frozenset[int] = frozenset()
        self._by_rule: dict[str, frozenset[int]] = {}

    def now(self) -> frozenset[int]:
        """The runtime ids to skip over the next batch."""
        idle = self.engine.idle_steps()
        if idle is not self._seen:
            self._seen = idle
            by_rule: dict[str, set[int]] = {}
            for pair in idle:
                by_rule.setdefault(pair[0], set()).update(self.local.get(pair, ()))
            self._by_rule = {r: frozenset(ps) for r, ps in by_rule.items() if ps}
            self._skip = frozenset().union(*self._by_rule.values())
        return self._skip

    def evaluate(self, compiled: Any, events: Sequence[Event], skip: frozenset[int]) -> list:
        """``compiled.evaluate`` skipping ``skip``, then what an idle rule started in the batch
        needs of its skipped predicates after that."""
        hits = compiled.evaluate(events, skip)
        rule_of = self.rule_of
        by_rule = self._by_rule
        started: dict[str, int] = {}
        for i, p in hits:
            rule_id = rule_of[p]
            if rule_id in by_rule and rule_id not in started:
                started[rule_id] = i
        if not started:
            return hits
        # One more pass for all of them, from the first start: a hit of a rule before its own
        # start is on a step still idle there, which the engine drops as it would have.
        first = min(started.values()) + 1
        if first < len(events):
            ids = sorted(frozenset().union(*(by_rule[r] for r in started)))
            extra = compiled.evaluate_more(events, first, ids)
            if extra:
                hits = sorted(hits + extra)
        return hits


def _first(pair: tuple[int, Any]) -> int:
    return pair[0]


@attrs.define
class DetectorStats:
    """Counters of the detection core."""

    events: int = 0
    batches: int = 0
    hits: int = 0
    matches: int = 0


class Detector:
    """Evaluates a rule set over batches of events and returns the matches, in event order.

    ``runtime`` is a predicate runtime instance (``Runtime`` protocol), ``schema`` the schema the
    events were normalized with, ``sequence_engine`` a factory ``(rules, store, **options)`` and
    ``store`` the state store instance (used when a rule is a sequence, sample or join, and for
    the process tree of lineage rules; a memory store is made when none is given).
    ``apply_pipes``: run each rule's pipes on its matches (``kestrel run``); ``input_ends``:
    whether the input has an end, without which whole-input pipes (``count``, ``sort``,
    ``tail``, ``unique_count``) are refused. ``profile``: compile and time every rule on its
    own, reporting per-rule evaluation time in :meth:`runtime_stats` (slower: no routing shared
    between rules; off by default so the hot path stays lean).
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        runtime: Any,
        schema: Any,
        *,
        sequence_engine: Any = None,
        store: Any = None,
        sequence_options: dict[str, Any] | None = None,
        runtimes: dict[str, Any] | None = None,
        apply_pipes: bool = True,
        input_ends: bool = True,
        profile: bool = False,
    ) -> None:
        self.rules = [r for r in rules if r.query is not None]
        self.rules_by_id = {r.id: r for r in self.rules}
        self.predicates: list[Predicate] = predicates_for([(r.id, r.query) for r in self.rules])
        self._event_rule = {r.id: r.kind == "event" for r in self.rules}
        #: per predicate id: its rule, and (rule id, step) for a sequence step (None: event rule)
        self._rule_of = [p.rule_id for p in self.predicates]
        self._step_of: list[tuple[str, int] | None] = [
            None if self._event_rule[p.rule_id] else (p.rule_id, p.step) for p in self.predicates
        ]
        self.host = HostConditions(self.predicates)
        self.tree: ProcessTree | None = None
        if self.host.uses_lineage:
            if store is None:
                from kestrel_core.state.memory import MemoryStore

                store = MemoryStore()
            self.tree = ProcessTree(store, lineage_fields(getattr(schema, "name", "ecs")))
        self.store = store
        self.pipes: dict[str, PipeStream] = {}
        if apply_pipes:
            for r in self.rules:
                if r.query.pipes:  # type: ignore[union-attr]
                    self.pipes[r.id] = PipeStream(r.id, r.query.pipes, store, input_ends)  # type: ignore[union-attr]
        self.runtime_name = getattr(runtime, "name", None)
        # Rules that name their own runtime (prebuilt packages) run there; the rest in ``runtime``.
        available = {self.runtime_name: runtime, **(runtimes or {})}
        groups: dict[Any, list[Predicate]] = {}
        for pred in self.host.runtime_predicates:
            wanted = self.rules_by_id[pred.rule_id].runtime or self.runtime_name
            key = (wanted, pred.rule_id) if profile else wanted
            groups.setdefault(key, []).append(pred)
        self.profile = profile
        self.rule_ns: dict[str, int] = {}
        self._group_rule: list[str | None] = []
        self.compiled: list[tuple[Any, list[int]]] = []
        #: events per batch the runtimes in use run best with (the largest of their preferences)
        self.preferred_batch = (
            0 if groups else getattr(runtime, "preferred_batch", DEFAULT_BATCH)
        )
        for key, preds in groups.items():
            name = key[0] if profile else key
            self._group_rule.append(key[1] if profile else None)
            if name not in available:
                raise ConfigError(
                    f"rule {preds[0].rule_id!r} needs the {name!r} runtime, which is not loaded"
                )
            # Each runtime sees a dense 0..n-1 numbering; map back to the detector's ids.
            local = [attrs.evolve(p, id=i) for i, p in enumerate(preds)]
            self.compiled.append((available[name].compile(local, schema), [p.id for p in preds]))
            self.preferred_batch = max(
                self.preferred_batch, getattr(available[name], "preferred_batch", DEFAULT_BATCH)
            )
        stateful = [r for r in self.rules if r.kind != "event"]
        self.sequences = None
        if stateful:
            if sequence_engine is None:
                raise ValueError("sequence or sample rules need a sequence engine")
            self.sequences = sequence_engine(stateful, store, **(sequence_options or {}))
        self._needs_all = bool(getattr(self.sequences, "needs_all_events", False))
        self._skipping: IdleSkipping | None = None
        if (
            len(self.compiled) == 1
            and not profile
            and getattr(self.compiled[0][0], "skips", False)
            and hasattr(self.sequences, "idle_steps")
        ):
            by_id = {p.id: p for p in self.host.runtime_predicates}
            self._skipping = IdleSkipping(
                self.sequences, [by_id[i] for i in self.compiled[0][1]]
            )
        self.stats = DetectorStats()
        self._captures: dict[tuple[int, int], Any] = {}

    def _evaluate(self, events: Sequence[Event]) -> list[tuple[int, int]]:
        self._captures = {}
        if len(self.compiled) == 1 and not self.profile:
            compiled, ids = self.compiled[0]
            skip = self._skipping.now() if self._skipping is not None else None
            if skip:
                hits = self._skipping.evaluate(compiled, events, skip)  # type: ignore[union-attr]
            else:
                hits = compiled.evaluate(events)
            self._collect_captures(compiled, ids)
            return hits if ids == list(range(len(ids))) else [(e, ids[p]) for e, p in hits]
        merged: list[tuple[int, int]] = []
        clock = time.perf_counter_ns
        for index, (compiled, ids) in enumerate(self.compiled):
            started = clock() if self.profile else 0
            merged.extend((e, ids[p]) for e, p in compiled.evaluate(events))
            if self.profile:
                rule_id = self._group_rule[index]
                self.rule_ns[rule_id] = self.rule_ns.get(rule_id, 0) + clock() - started  # type: ignore[index]
            self._collect_captures(compiled, ids)
        merged.sort()
        return merged

    def _collect_captures(self, compiled: Any, ids: list[int]) -> None:
        """Package captures of the last batch (optional ``captures`` of a runtime: a mapping, or
        a method returning one, keyed by (event index, predicate id))."""
        caps = getattr(compiled, "captures", None)
        if callable(caps):
            caps = caps()
        if caps:
            for (event_index, pred_id), payload in caps.items():
                self._captures[(event_index, ids[pred_id])] = payload

    def process(self, events: Sequence[Event]) -> list[Match]:
        """Evaluate one batch; return the matches it completes, in event order (per event, those
        of event rules first, in predicate order, then those the sequence engine completes)."""
        self.stats.events += len(events)
        self.stats.batches += 1
        hits = self._evaluate(events)
        if self.host.active:
            hits = self.host.filter(events, hits, self.tree)
        self.stats.hits += len(hits)
        out: list[Match] = []
        rule_of = self._rule_of
        captures = self._captures
        if self.sequences is None:
            for i, pred_id in hits:
                event = events[i]
                out.append(
                    Match(rule_of[pred_id], (event,), (), event.seq, captures.get((i, pred_id)))
                )
        else:
            steps = self._step_of
            first: list[tuple[int, Match]] = []
            stateful: dict[int, list[tuple[str, int]]] = {}
            for i, pred_id in hits:
                step = steps[pred_id]
                if step is None:
                    event = events[i]
                    captured = captures.get((i, pred_id))
                    first.append((i, Match(rule_of[pred_id], (event,), (), event.seq, captured)))
                    continue
                found = stateful.get(i)
                if found is None:
                    stateful[i] = [step]
                else:
                    found.append(step)
            pairs = self._sequence_matches(events, stateful)
            if first:  # per event: event rules' matches, then the sequences' (a stable sort)
                pairs = first + pairs
                pairs.sort(key=_first)
            out = [m for _, m in pairs]
        if self.pipes:
            out = self._piped(out)
        self.stats.matches += len(out)
        return out

    def _sequence_matches(
        self, events: Sequence[Event], stateful: dict[int, list[tuple[str, int]]]
    ) -> list[tuple[int, Match]]:
        """What the sequence engine completes over the batch, with the index of the event that
        completed each: every event is shown to it when it needs all (event time closes
        windows), else those with hits only."""
        engine = self.sequences
        if self._needs_all:
            shown: Sequence[int] = range(len(events))
            batch_events: Sequence[Event] = events
            batch_hits: list[Any] = [stateful.get(i, ()) for i in shown]
        else:
            if not stateful:
                return []
            shown = sorted(stateful)
            batch_events = [events[i] for i in shown]
            batch_hits = [stateful[i] for i in shown]
        process_batch = getattr(engine, "process_batch", None)
        if process_batch is not None:
            found = process_batch(batch_events, batch_hits)
        else:
            found = [
                (k, m)
                for k, (event, event_hits) in enumerate(zip(batch_events, batch_hits, strict=True))
                for m in engine.process(event, event_hits)  # type: ignore[union-attr]
            ]
        out = []
        for k, m in found:
            seq = batch_events[k].seq
            out.append((shown[k], Match(m.rule_id, tuple(m.events), tuple(m.join_keys), seq)))
        return out

    def _piped(self, matches: list[Match]) -> list[Match]:
        pipes = self.pipes
        out: list[Match] = []
        for m in matches:
            stream = pipes.get(m.rule_id)
            if stream is None:
                out.append(m)
            else:
                out.extend(stream.push(m))
        return out

    def finish(self) -> list[Match]:
        """End of input: what only completes then (samples, trailing missing events, and the
        results of whole-input pipes)."""
        out: list[Match] = []
        if self.sequences is not None:
            out = [
                Match(m.rule_id, tuple(m.events), tuple(m.join_keys))
                for m in self.sequences.finish()
            ]
        if self.pipes:
            out = self._piped(out)
            for stream in self.pipes.values():
                out.extend(stream.finish())
        self.stats.matches += len(out)
        return out

    def runtime_stats(self) -> dict[str, Any]:
        """The runtime's and the sequence engine's counters (and per-rule time, profiling)."""
        out: dict[str, Any] = {"runtimes": [c.stats() for c, _ in self.compiled]}
        if self.profile:
            events = max(self.stats.events, 1)
            out.pop("runtimes")  # one entry per rule: the profile below says more
            out["profile"] = {
                rule_id: {
                    "seconds": round(ns / 1e9, 6),
                    "us_per_event": round(ns / 1e3 / events, 3),
                }
                for rule_id, ns in sorted(self.rule_ns.items(), key=lambda kv: -kv[1])
            }
        if self.sequences is not None:
            out["sequences"] = self.sequences.stats()
        if self.tree is not None:
            held = self.store.stats().get("rules", {}).get(LINEAGE_RULE, {})
            out["lineage"] = {"processes": held.get("keys", 0), **held}
        return out
