"""The engine: configuration -> components -> rules -> detector -> alerts -> sinks."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs

from kestrel_core.alerts import Alert, alert_id
from kestrel_core.assembly import ResolvedComponents, resolve
from kestrel_core.config import Config
from kestrel_core.detector import Detector, Match
from kestrel_core.engine.bus import EventBus
from kestrel_core.engine.delivery import SinkDelivery
from kestrel_core.errors import ConfigError
from kestrel_core.events.model import Event
from kestrel_core.inputs import EventReader, InputStats
from kestrel_core.plugins import PluginManager
from kestrel_core.rulemanager import RuleLoader, RuleLoadFailure, RuleSet
from kestrel_core.rules import Rule

Report = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


#: The cyclic collector's first threshold while reading files: above the container objects of
#: a few batches of decoded records, so those die with their batch instead of being traced
#: from generation to generation while they are alive (they hold no cycles).
READ_GC_THRESHOLD = 200_000


@contextlib.contextmanager
def batch_gc() -> Iterator[None]:
    """Collect less often while batches of events stream through (restored afterwards)."""
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], READ_GC_THRESHOLD), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def settle_heap() -> None:
    """Collect once, then move every object alive (plugins, compiled rules) out of the
    collector's sight (:func:`gc.freeze`): later collections need not trace them again."""
    gc.collect()
    gc.freeze()


def stats_json(stats: dict[str, Any]) -> bytes:
    """The stats as one line of JSON; keys that are not strings (a plugin's counters by id) and
    values JSON has no type for are written as text."""
    import orjson

    return orjson.dumps(stats, option=orjson.OPT_NON_STR_KEYS, default=str)


class Engine:
    """A detection engine assembled from a :class:`Config` and the installed plugins.

    Build it, feed it events (``process`` for decoded events, ``run_files`` for files), read
    ``stats()``, and ``close()`` it to flush the sinks::

        engine = Engine(Config(rule_paths=["rules/"]))
        alerts = engine.process(events)
        engine.close()

    ``sinks`` replaces the configured sinks with ready objects (``send``/``flush``/``close``);
    ``rules`` replaces loading from ``config.rule_paths``. ``input_ends=False`` (following a
    file) refuses rules whose pipes need the whole input (``count``, ``sort``, ``tail``).
    """

    def __init__(
        self,
        config: Config | None = None,
        pm: PluginManager | None = None,
        *,
        rules: Sequence[Rule] | None = None,
        sinks: Sequence[Any] | None = None,
        report: Report = _stderr,
        input_ends: bool = True,
    ) -> None:
        self.config = config or Config()
        self.input_ends = input_ends
        self.pm = pm or PluginManager().load()
        self.report = report
        registry = self.pm.registry
        self.components: ResolvedComponents = resolve(self.config, registry)
        self.schema = self.components.schema.factory(**self.config.schema_options)
        #: Rules given in code (not loaded from ``config.rule_paths``): workers get these too.
        self.explicit_rules = list(rules) if rules is not None else None
        if rules is None:
            paths = [str(self.config.resolve(p)) for p in self.config.rule_paths]
            self.rule_set = RuleLoader(registry).load(paths)
        else:
            self.rule_set = RuleSet(rules=list(rules))
        for failure in self.rule_set.failures:
            report(f"kestrel: rule not loaded: {failure.path}: {failure.error}")
        if self.rule_set.failures and self.config.strict_rules:
            raise ConfigError(
                f"{len(self.rule_set.failures)} rules failed to load and --strict is set"
            )
        self.rules = [r for r in self.rule_set.rules if r.enabled]
        self.detector = self._build_detector(self.rules)  # drops rules the runtime refuses
        self.rules_by_id = {r.id: r for r in self.rules}
        self.sinks = self._build_sinks(sinks)
        self.input_stats = InputStats()
        self.alert_counts: Counter[str] = Counter()
        self.alerts_total = 0
        self._started = time.monotonic()
        self._closed = False
        self._parallel: Any = None
        self._run_started: float | None = None
        self.reader: EventReader | None = None
        self.bus: EventBus | None = None
        self._position: Any = None
        self._stop_requested = False
        self._last_checkpoint = time.monotonic()
        self._reload_requested = False
        self._last_reload_check = time.monotonic()
        self._rule_snapshot = self._rule_files() if rules is None else {}
        self.reloads = 0
        self.reloads_failed = 0
        self.pm.hook.kestrel_rules_loaded(rules=self.rules)
        self.pm.hook.kestrel_engine_started(engine=self)
        settle_heap()

    # ------------------------------------------------------------------ assembly

    def _build_detector(self, rules: list[Rule]) -> Detector:
        registry = self.pm.registry
        runtime = self.components.runtime.factory(**self.config.runtime_options)
        extra: dict[str, Any] = {}
        for name in {r.runtime for r in rules if r.runtime and r.runtime != runtime.name}:
            extra[name] = registry.get("predicate_runtime", name).factory()
        engine_factory = None
        if any(r.kind != "event" for r in rules):
            engine_factory = self.components.sequence_engine.factory
        if not hasattr(self, "store"):
            self.store = self.components.state.factory(**self.config.state.options)
            # A durable store brings back the partial matches and the position it saved.
            self.resume_position = self.store.restore()

        def build(subset: list[Rule]) -> Detector:
            return Detector(
                subset,
                runtime,
                self.schema,
                sequence_engine=engine_factory,
                store=self.store,
                runtimes=extra,
                input_ends=self.input_ends,
                profile=self.config.profile,
            )

        try:
            return build(rules)
        except Exception:
            # One rule the runtime cannot compile must not stop the others: find it (rule by
            # rule, only on this failure path), report it, and run the rest.
            good = []
            for rule in rules:
                try:
                    build([rule])
                except Exception as exc:  # a runtime's own error types count too
                    self._rejected(rule, exc)
                else:
                    good.append(rule)
            if len(good) == len(rules):
                raise
            rules[:] = good
            return build(good)

    def _rejected(self, rule: Rule, exc: Exception) -> None:
        """Report a rule the runtime refused, and count it with the load failures."""
        where = rule.source or rule.id
        self.report(f"kestrel: rule not loaded: {where}: rule {rule.id!r}: {exc}")
        self.rule_set.failures.append(RuleLoadFailure(where, f"rule {rule.id!r}: {exc}"))
        if self.config.strict_rules:
            raise ConfigError(f"rule {rule.id!r} does not compile and --strict is set: {exc}")

    # ------------------------------------------------------------------ hot reload

    def _rule_files(self) -> dict[str, tuple[int, int]]:
        """(mtime, size) of every file under the configured rule paths."""
        out: dict[str, tuple[int, int]] = {}
        for raw in self.config.rule_paths:
            root = self.config.resolve(raw)
            files = [root] if root.is_file() else sorted(root.rglob("*")) if root.is_dir() else []
            for f in files:
                try:
                    st = f.stat()
                except OSError:
                    continue
                if f.is_file():
                    out[str(f)] = (st.st_mtime_ns, st.st_size)
        return out

    def request_reload(self) -> None:
        """Reload the rules between two batches (SIGHUP calls this)."""
        self._reload_requested = True

    def _maybe_reload(self) -> None:
        if not self.config.rule_paths:
            return
        interval = self.config.reload_interval
        now = time.monotonic()
        if not self._reload_requested:
            if not interval or now - self._last_reload_check < interval:
                return
            self._last_reload_check = now
            snapshot = self._rule_files()
            if snapshot == self._rule_snapshot:
                return
        self._reload_requested = False
        self._rule_snapshot = self._rule_files()
        self.reload()

    def reload(self) -> bool:
        """Load and compile the configured rules aside; swap them in if all are good.

        On any failure the running rules stay, the failures are reported, and an internal
        alert (rule id ``kestrel-internal-rule-reload-failed``) goes to the sinks. Partial
        matches of rules that did not change are kept; those of changed or removed rules are
        dropped.
        """
        paths = [str(self.config.resolve(p)) for p in self.config.rule_paths]
        loaded = RuleLoader(self.pm.registry).load(paths)
        problems = [f"{f.path}: {f.error}" for f in loaded.failures]
        detector = None
        new_rules = [r for r in loaded.rules if r.enabled]
        if not problems:
            try:
                detector = self._build_detector(new_rules)
            except Exception as exc:  # a compile failure must not stop the running rules
                problems.append(f"compiling the new rule set failed: {exc}")
        if detector is None:
            for problem in problems:
                self.report(f"kestrel: rule reload rejected: {problem}")
            self.reloads_failed += 1
            self._internal_alert(
                "kestrel-internal-rule-reload-failed",
                "Kestrel: rule reload failed; the previous rules keep running",
                {"failures": problems},
            )
            return False
        old = self.rules_by_id
        kept = {r.id for r in new_rules if r.id in old and old[r.id].query == r.query}
        for rule_id in list(self.store.rule_ids()):
            if rule_id not in kept:
                for key, _ in list(self.store.items(rule_id)):
                    self.store.delete(rule_id, key)
        self.rule_set = loaded
        self.rules = new_rules
        self.rules_by_id = {r.id: r for r in new_rules}
        self.detector = detector
        self.reloads += 1
        self.report(f"kestrel: rules reloaded: {len(new_rules)} rules")
        self.pm.hook.kestrel_rules_loaded(rules=self.rules)
        return True

    def _internal_alert(self, rule_id: str, name: str, details: dict[str, Any]) -> None:
        now = time.time_ns()
        record = {"kestrel": {"internal": True, **details}, "@timestamp": now}
        self.deliver(
            [
                Alert(
                    alert_id=alert_id(rule_id, [record]),
                    rule_id=rule_id,
                    rule_name=name,
                    severity="medium",
                    timestamp=now,
                    join_keys=(),
                    events=(record,),
                    runtime=None,
                )
            ]
        )

    def _build_sinks(self, sinks: Sequence[Any] | None) -> list[SinkDelivery]:
        if sinks is not None:
            return [SinkDelivery(type(s).__name__, s, report=self.report) for s in sinks]
        configured = self.components.sinks
        if not configured:
            configured = [(self.pm.registry.get("alert_sink", "stdout"), {})]
        return [
            SinkDelivery(comp.name, comp.factory(**options), report=self.report)
            for comp, options in configured
        ]

    # ------------------------------------------------------------------ running

    def alert_for(self, match: Match) -> Alert:
        """Turn a match into an alert with a deterministic id."""
        rule = self.rules_by_id[match.rule_id]
        records = [None if e is None else e.record for e in match.events]
        present = [e for e in match.events if e is not None]
        return Alert(
            alert_id=alert_id(rule.id, records),
            rule_id=rule.id,
            rule_name=rule.name,
            severity=rule.severity,
            timestamp=present[-1].timestamp if present else None,
            join_keys=tuple(match.join_keys),
            events=tuple(records),
            risk_score=rule.risk_score,
            tags=rule.tags,
            threat=rule.threat,
            runtime=rule.runtime or self.detector.runtime_name,
            captures=match.captures,
            aggregates=match.aggregates,
        )

    def process(self, events: Sequence[Event]) -> list[Alert]:
        """Detect over one batch of events (arrival order); send and return the alerts."""
        return [alert for _, alert in self.process_ordered(events)]

    def process_ordered(self, events: Sequence[Event]) -> list[tuple[int, Alert]]:
        """Like :meth:`process`, each alert with the ``seq`` of the event that completed it."""
        pairs = [(m.emitted_seq, self.alert_for(m)) for m in self.detector.process(events)]
        self.deliver([a for _, a in pairs])
        return pairs

    def finish(self) -> list[Alert]:
        """End of input: emit what only completes then; send and return those alerts.

        They come ordered by their last evidence event, then rule id and alert id, so the order
        does not depend on how the input was partitioned between workers.
        """
        return [alert for _, alert in self.finish_ordered()]

    def finish_ordered(self) -> list[tuple[tuple, Alert]]:
        """Like :meth:`finish`, each alert with its sort key."""
        pairs = []
        for match in self.detector.finish():
            present = [e.seq for e in match.events if e is not None]
            alert = self.alert_for(match)
            pairs.append(((present[-1] if present else -1, alert.rule_id, alert.alert_id), alert))
        pairs.sort(key=lambda p: p[0])
        self.deliver([a for _, a in pairs])
        return pairs

    def deliver(self, alerts: list[Alert]) -> None:
        """Count and send alerts to every sink."""
        if not alerts:
            return
        self.alerts_total += len(alerts)
        self.alert_counts.update(a.rule_id for a in alerts)
        for sink in self.sinks:
            sink.send(alerts)

    @property
    def preferred_batch(self) -> int:
        """Events per batch when none is given: what the runtimes in use run best with
        (the python runtime 32, wasm and Lua 1,024)."""
        return self.detector.preferred_batch

    def run_events(self, events: Iterable[Event], batch_size: int | None = None) -> None:
        """Feed an event iterator through the engine in batches (default
        :attr:`preferred_batch`), then finish."""
        batch_size = batch_size or self.preferred_batch
        batch: list[Event] = []
        for event in events:
            batch.append(event)
            if len(batch) >= batch_size:
                self.process(batch)
                batch = []
                self._maybe_checkpoint()
        if batch:
            self.process(batch)
        if not self._stop_requested:
            self.finish()
        self.checkpoint()

    @property
    def durable(self) -> bool:
        """True when the state store checkpoints (``sqlite``)."""
        return getattr(self.store, "checkpoint_interval", None) is not None

    def _maybe_checkpoint(self) -> None:
        interval = getattr(self.store, "checkpoint_interval", None)
        if interval and time.monotonic() - self._last_checkpoint >= interval:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Flush the sinks, then save the state with the position of the last event detected
        (durable stores only)."""
        if not self.durable or self._position is None:
            return
        for sink in self.sinks:
            sink.flush()
        self.store.checkpoint(self._position)
        self._last_checkpoint = time.monotonic()

    def stop(self) -> None:
        """Stop reading after the current event; what was read is still detected and flushed.

        Unlike the end of the input, a stop does not flush what only completes at the end
        (samples, trailing missing events): a durable store keeps it for the restart.
        """
        self._stop_requested = True
        if self.bus is not None:
            self.bus.stop()
        elif self.reader is not None:
            self.reader.stop()

    def run_files(
        self, paths: Iterable[str], batch_size: int | None = None, follow: bool = False
    ) -> None:
        """Read, decode and detect over files (``-``: stdin), in arrival order.

        With ``config.workers`` other than 1 (0: one per core), events are partitioned by host
        over worker processes (:mod:`kestrel_core.engine.workers`); the alerts are the same. A
        durable state store resumes reading where its last checkpoint was taken. ``follow``
        keeps reading files as they grow, until :meth:`stop`. Events are read and detected in
        batches of ``batch_size`` (default :attr:`preferred_batch`).
        """
        batch_size = batch_size or self.preferred_batch
        workers = self.config.workers or os.cpu_count() or 1
        if workers > 1 and not follow:
            if self.durable:
                raise ConfigError(
                    f"the {self.store.name!r} state store checkpoints one worker's state: "
                    "use --workers 1 with it"
                )
            from kestrel_core.engine.workers import ParallelRunner

            self._parallel = ParallelRunner(self, workers, self.report)
            self._parallel.run_files(paths, self.input_stats)
            return
        self.mark_run_start()
        self.reader = EventReader(
            paths,
            self.schema,
            self.input_stats,
            self.report,
            resume=self.resume_position,
            follow=follow,
        )
        live = follow or any(p == "-" for p in self.reader.files)
        self.bus = EventBus(
            self.reader,
            batch_size,
            self.config.queue_size,
            self.config.queue_policy,
            threaded=live,  # files are read in step with detection; live inputs get a queue
        )
        with batch_gc():
            for batch in self.bus:
                self.process(batch.events)
                self._position = batch.position
                self._maybe_checkpoint()
                self._maybe_reload()
        if not self._stop_requested:
            self.finish()
        self.checkpoint()

    # ------------------------------------------------------------------ stats and shutdown

    def stats_elapsed(self) -> float:
        """Seconds since the engine was built."""
        return time.monotonic() - self._started

    def mark_run_start(self) -> None:
        """Start the clock of ``events_per_s`` (after rules are compiled and workers ready)."""
        self._run_started = time.monotonic()

    def _run_elapsed(self) -> float:
        start = self._run_started if self._run_started is not None else self._started
        return max(time.monotonic() - start, 1e-9)

    def stats(self) -> dict[str, Any]:
        """Counters of every stage: the JSON ``kestrel run`` prints last on stderr."""
        elapsed = max(self.stats_elapsed(), 1e-9)
        detector = self.detector.stats
        out: dict[str, Any] = {
            **self.input_stats.to_dict(),
            "evaluated": detector.events,
            "alerts": self.alerts_total,
            "elapsed_s": round(elapsed, 3),
            "events_per_s": round(detector.events / self._run_elapsed(), 1),
            "rules": {
                "loaded": len(self.rules),
                "reloads": self.reloads,
                "reloads_failed": self.reloads_failed,
                "failed": len(self.rule_set.failures),
                "skipped": dict(self.rule_set.skipped),
            },
            "per_rule_alerts": dict(sorted(self.alert_counts.items())),
            "sinks": {s.name: s.stats() for s in self.sinks},
            **self.detector.runtime_stats(),
        }
        if self.durable:
            out["checkpoints"] = getattr(self.store, "checkpoints", None)
        if self.bus is not None:
            out["bus"] = attrs.asdict(self.bus.stats)
            out["dropped"] = self.bus.stats.dropped_events
        if self._parallel is not None:
            merged = self._parallel.merged_stats()
            out.update(merged)
            out["events_per_s"] = round(merged["evaluated"] / self._run_elapsed(), 1)
            out.pop("runtimes", None)
            out.pop("sequences", None)
        return out

    def close(self) -> dict[str, Any]:
        """Flush and close the sinks, fire ``kestrel_engine_stopped``, return the final stats."""
        if not self._closed:
            self._closed = True
            for sink in self.sinks:
                sink.flush()
                sink.close()
            stats = self.stats()
            self.store.close()
            self.pm.hook.kestrel_engine_stopped(engine=self, stats=stats)
            gc.unfreeze()  # what settle_heap froze may be garbage now
            return stats
        return self.stats()
