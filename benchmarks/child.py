"""One scenario in its own process: ``python -m benchmarks.child SPEC_JSON``.

A fresh process per scenario keeps runs from sharing memory, so ``ru_maxrss`` is that scenario's
peak. The spec names a ``target`` (``kestrel``, ``peer``, ``limit``, ``partials``, ``profile``)
and its parameters; the result is printed as one JSON object on the last line of stdout.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import resource
import sys
from pathlib import Path
from typing import Any

import orjson

from benchmarks import limit, peer, rulesets, workers
from benchmarks.kestrel_runner import CompiledSet, KestrelHarness, Unavailable, compile_rules
from benchmarks.latency import CountingSink


def _rss_kb(who: int = resource.RUSAGE_SELF) -> int:
    return resource.getrusage(who).ru_maxrss


def _count_lines(path: str) -> int:
    with open(path, "rb") as stream:
        return sum(1 for _ in stream)


def _compiled(spec: dict[str, Any]) -> tuple[list[rulesets.RuleText], CompiledSet]:
    name = spec["ruleset"]
    texts = rulesets.load_ruleset(name, rulesets.corpus_dir(spec.get("corpus")))
    return texts, compile_rules(texts, rulesets.keep_limit(name))


def _failures(compiled: CompiledSet) -> dict[str, int]:
    return dict(compiled.failures.most_common(12))


def run_kestrel(spec: dict[str, Any]) -> dict[str, Any]:
    """A Kestrel scenario: end to end, evaluation only, latency; or ``kestrel run --workers``."""
    texts, compiled = _compiled(spec)
    out: dict[str, Any] = {
        "status": "ok",
        "candidates": len(texts),
        "compile_failed": sum(compiled.failures.values()),
        "compile_failures": _failures(compiled),
        "compile_seconds": compiled.seconds,
    }
    path, repeat = spec["events"], spec["repeat"]
    harness = KestrelHarness(compiled.rules, spec["runtime"])
    if spec["workers"] > 1:
        harness.engine([CountingSink()])  # drops what the runtime rejects, as with 1 worker
        ids = {r.id for r in harness.rules}
        chosen = [t for t in texts if t.id in ids]
        runs = [workers.run_cli(chosen, spec["runtime"], spec["workers"], path)
                for _ in range(repeat)]
        bad = next((r for r in runs if r["status"] != "ok"), None)
        out.update(rules=len(chosen), rule_ids=sorted(ids), e2e=runs,
                   runtime_dropped=harness.dropped,
                   peak_rss_kb=_rss_kb(resource.RUSAGE_CHILDREN))
        if bad is not None:
            out["status"] = bad["status"]
        return out
    out["e2e"] = [harness.end_to_end(path) for _ in range(repeat)]
    out["peak_rss_kb"] = _rss_kb()
    out["rules"] = len(harness.rules)
    out["rule_ids"] = [r.id for r in harness.rules]
    out["runtime_dropped"] = harness.dropped
    out["build_seconds"] = harness.build_seconds
    events = harness.decode(path)
    out["eval"] = [harness.evaluation(events) for _ in range(repeat)]
    del events
    if spec.get("latency", True):
        out["latency"] = harness.latency(path)
    return out


def run_peer(spec: dict[str, Any]) -> dict[str, Any]:
    """The eql engine on the same rules, on a prefix of the events its rate allows."""
    missing = peer.available()
    if missing:
        return {"status": missing}
    name = spec["ruleset"]
    texts = rulesets.load_ruleset(name, rulesets.corpus_dir(spec.get("corpus")))
    wanted = spec.get("rule_ids")
    if wanted is not None:
        keep = set(wanted)
        texts = [t for t in texts if t.id in keep]
    elif rulesets.keep_limit(name):
        texts = texts[: rulesets.keep_limit(name)]
    parsed = peer.parse_rules(texts)
    engine = peer.PeerEngine(parsed)
    path = spec["events"]
    total = _count_lines(path)
    prefix = engine.calibrate(path, spec["peer_budget_s"], total)
    if spec.get("peer_max_events"):
        prefix = min(prefix, spec["peer_max_events"])
    repeat = spec["repeat"]
    out: dict[str, Any] = {
        "status": "ok",
        "rules": len(parsed.queries),
        "candidates": len(texts),
        "parse_failed": sum(parsed.failures.values()),
        "parse_failures": dict(parsed.failures.most_common(12)),
        "parse_seconds": parsed.seconds,
        "prefix": prefix,
        "total_events": total,
    }
    out["e2e"] = [engine.end_to_end(path, prefix) for _ in range(repeat)]
    out["peak_rss_kb"] = _rss_kb()
    events = peer.load_prefix(path, prefix)
    out["eval"] = [engine.evaluation(events) for _ in range(repeat)]
    return out


def run_limit(spec: dict[str, Any]) -> dict[str, Any]:
    """orjson decoding plus one lookup per event."""
    runs = [limit.decode_only(spec["events"]) for _ in range(spec["repeat"])]
    return {"status": "ok", "e2e": runs, "peak_rss_kb": _rss_kb()}


def run_partials(spec: dict[str, Any]) -> dict[str, Any]:
    """Memory per pending partial sequence on the sequence-heavy set."""
    _, compiled = _compiled(spec)
    harness = KestrelHarness(compiled.rules, spec["runtime"])
    result = harness.partial_memory(spec["events"], spec["partial_events"])
    return {"status": "ok", "rules": len(harness.rules), **result, "peak_rss_kb": _rss_kb()}


def _rows(stats: pstats.Stats, key: str, top: int) -> list[dict[str, Any]]:
    stats.sort_stats(key)
    rows = []
    for func in stats.fcn_list[:top]:  # type: ignore[attr-defined]
        _, ncalls, tottime, cumtime, _ = stats.stats[func]  # type: ignore[attr-defined]
        filename, line, name = func
        short = "/".join(Path(filename).parts[-2:]) if filename != "~" else ""
        rows.append({"function": f"{short}:{line}({name})" if short else name,
                     "calls": ncalls, "tottime": round(tottime, 3),
                     "cumtime": round(cumtime, 3)})
    return rows


def run_profile(spec: dict[str, Any]) -> dict[str, Any]:
    """cProfile of one end-to-end run (engine built outside the profile)."""
    _, compiled = _compiled(spec)
    harness = KestrelHarness(compiled.rules, spec["runtime"])
    sink = CountingSink()
    engine = harness.engine([sink])
    profiler = cProfile.Profile()
    profiler.enable()
    run = harness.timed_files(engine, sink, spec["events"])
    profiler.disable()
    if spec.get("profile_out"):
        profiler.dump_stats(spec["profile_out"])
    stats = pstats.Stats(profiler, stream=io.StringIO())
    return {
        "status": "ok",
        "rules": len(harness.rules),
        "run": run,
        "by_tottime": _rows(stats, "tottime", 25),
        "by_cumtime": _rows(stats, "cumulative", 25),
    }


TARGETS = {
    "kestrel": run_kestrel,
    "peer": run_peer,
    "limit": run_limit,
    "partials": run_partials,
    "profile": run_profile,
}


def main(argv: list[str] | None = None) -> int:
    """Run the spec given as the first argument; print the result as the last stdout line."""
    args = sys.argv[1:] if argv is None else argv
    spec = orjson.loads(args[0])
    try:
        result = TARGETS[spec["target"]](spec)
    except Unavailable as exc:
        result = {"status": f"not yet: {exc}"}
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS).decode() + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
