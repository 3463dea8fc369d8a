"""The benchmark run: one subprocess per scenario, then medians, ratios and target checks."""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import orjson

from benchmarks.rulesets import ROOT

Progress = Callable[[str], None]


@attrs.define
class Settings:
    """What to run (the command line's options)."""

    events_path: str
    corpus: str | None = None
    rulesets: list[str] = attrs.Factory(lambda: ["one", "100", "elastic", "sequences"])
    runtimes: list[str] = attrs.Factory(lambda: ["python", "wasm", "lua"])
    workers: list[int] = attrs.Factory(lambda: [1, 2])
    repeat: int = 3
    peer: bool = True
    peer_budget_s: float = 60.0
    peer_max_events: int | None = None
    latency: bool = True
    partial_events: int = 50_000
    timeout_s: float = 3600.0


def run_child(spec: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Run one scenario in a fresh interpreter; a crash or timeout becomes its status."""
    args = [sys.executable, "-m", "benchmarks.child", orjson.dumps(spec).decode()]
    try:
        done = subprocess.run(args, cwd=ROOT, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return {"status": f"timed out after {timeout_s:.0f}s"}
    lines = done.stdout.decode(errors="replace").strip().splitlines()
    if done.returncode == 0 and lines:
        try:
            return orjson.loads(lines[-1])
        except orjson.JSONDecodeError:
            pass
    tail = [line for line in done.stderr.decode(errors="replace").splitlines() if line.strip()]
    return {"status": f"failed: {(tail[-1] if tail else f'exit {done.returncode}')[:200]}"}


def rate(runs: list[dict[str, Any]] | None) -> float | None:
    """Median events/s over runs."""
    if not runs:
        return None
    rates = [r["events"] / r["seconds"] for r in runs if r.get("seconds") and r.get("events")]
    return statistics.median(rates) if rates else None


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b`` when both are known."""
    return a / b if a and b else None


def _base_spec(settings: Settings, target: str, **extra: Any) -> dict[str, Any]:
    return {"target": target, "events": settings.events_path, "corpus": settings.corpus,
            "repeat": settings.repeat, **extra}


def _scenario_row(
    result: dict[str, Any], ruleset: str, runtime: str, workers: int,
    peer: dict[str, Any], limit_eps: float | None,
) -> dict[str, Any]:
    e2e = rate(result.get("e2e")) if result.get("status") == "ok" else None
    evaluation = rate(result.get("eval")) if result.get("status") == "ok" else None
    peer_ok = peer.get("status") == "ok"
    latency = result.get("latency") or {}
    return {
        "ruleset": ruleset,
        "runtime": runtime,
        "workers": workers,
        "status": result.get("status", "?"),
        "rules": result.get("rules"),
        "candidates": result.get("candidates"),
        "compile_failed": result.get("compile_failed"),
        "runtime_dropped": len(result.get("runtime_dropped") or {}),
        "e2e_eps": e2e,
        "eval_eps": evaluation,
        "alerts": (result.get("e2e") or [{}])[0].get("alerts"),
        "peak_rss_mb": (result["peak_rss_kb"] / 1024) if result.get("peak_rss_kb") else None,
        "latency_p50_ms": latency.get("p50_ms"),
        "latency_p99_ms": latency.get("p99_ms"),
        "peer_e2e_eps": rate(peer.get("e2e")) if peer_ok else None,
        "peer_eval_eps": rate(peer.get("eval")) if peer_ok else None,
        "ratio_peer": ratio(e2e, rate(peer.get("e2e"))) if peer_ok else None,
        "ratio_peer_eval": ratio(evaluation, rate(peer.get("eval"))) if peer_ok else None,
        "ratio_limit": ratio(e2e, limit_eps),
    }


def run_all(settings: Settings, progress: Progress) -> dict[str, Any]:
    """Every scenario of ``settings``; returns the raw results and the summary rows."""
    progress("limit: orjson decode + one lookup per event")
    limit = run_child(_base_spec(settings, "limit"), settings.timeout_s)
    limit_eps = rate(limit.get("e2e"))
    raw: dict[str, Any] = {"limit": limit, "kestrel": {}, "peer": {}}
    rows: list[dict[str, Any]] = []
    for ruleset in settings.rulesets:
        results: list[tuple[str, int, dict[str, Any]]] = []
        for runtime in settings.runtimes:
            for workers in settings.workers:
                progress(f"kestrel: rules={ruleset} runtime={runtime} workers={workers}")
                spec = _base_spec(settings, "kestrel", ruleset=ruleset, runtime=runtime,
                                  workers=workers, latency=settings.latency)
                result = run_child(spec, settings.timeout_s)
                progress(f"  -> {result.get('status')}, {rate(result.get('e2e')) or 0:,.0f} ev/s")
                raw["kestrel"][f"{ruleset}/{runtime}/{workers}"] = result
                results.append((runtime, workers, result))
        peer: dict[str, Any] = {"status": "not run (--no-peer)"}
        if settings.peer:
            ids = next((r.get("rule_ids") for rt, w, r in results
                        if r.get("status") == "ok" and w == 1 and r.get("rule_ids")), None)
            progress(f"peer eql: rules={ruleset} ({len(ids) if ids else 'all'} rule ids)")
            peer = run_child(
                _base_spec(settings, "peer", ruleset=ruleset, rule_ids=ids,
                           peer_budget_s=settings.peer_budget_s,
                           peer_max_events=settings.peer_max_events),
                settings.timeout_s,
            )
            progress(f"  -> {peer.get('status')}, {rate(peer.get('e2e')) or 0:,.1f} ev/s "
                     f"on {peer.get('prefix', 0):,} events")
        raw["peer"][ruleset] = peer
        rows.extend(_scenario_row(r, ruleset, rt, w, peer, limit_eps) for rt, w, r in results)
    partials: dict[str, Any] = {"status": "not run"}
    if settings.partial_events and "sequences" in settings.rulesets:
        progress("memory per pending partial sequence (tracemalloc)")
        partials = run_child(
            _base_spec(settings, "partials", ruleset="sequences", runtime="python",
                       workers=1, partial_events=settings.partial_events),
            settings.timeout_s,
        )
    return {
        "limit": {"eps": limit_eps, "status": limit.get("status"),
                  "peak_rss_mb": (limit.get("peak_rss_kb") or 0) / 1024},
        "rows": rows,
        "partials": partials,
        "targets": check_targets(rows),
        "raw": raw,
    }


def _find(rows: list[dict[str, Any]], ruleset: str, runtime: str, workers: int) -> dict | None:
    return next((r for r in rows if (r["ruleset"], r["runtime"], r["workers"])
                 == (ruleset, runtime, workers) and r["e2e_eps"]), None)


def check_targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The project's targets, each ``met``, ``missed`` or ``not measured`` with the numbers."""
    out: list[dict[str, Any]] = []

    def add(name: str, value: float | None, goal: float, text: str, higher: bool = True) -> None:
        if value is None:
            out.append({"target": name, "status": "not measured", "value": None, "detail": text})
            return
        met = value >= goal if higher else value < goal
        out.append({"target": name, "status": "met" if met else "missed",
                    "value": value, "detail": text})

    all2 = _find(rows, "elastic", "python", 2)
    add("all Elastic rules, python, 2 workers: >= 100,000 events/s end to end",
        all2["e2e_eps"] if all2 else None, 100_000, "events/s")
    add("all Elastic rules, python, 2 workers: >= 100x the eql engine",
        all2["ratio_peer"] if all2 else None, 100, "Kestrel / eql, end to end")
    one = _find(rows, "one", "python", 1)
    add("1 rule: faster than eql end to end", one["ratio_peer"] if one else None, 1.0,
        "Kestrel / eql, python, 1 worker")
    py_all = _find(rows, "elastic", "python", 1)
    for runtime in ("wasm", "lua"):
        other = _find(rows, "elastic", runtime, 1)
        add(f"{runtime} within 2x of python at all rules",
            ratio(other["e2e_eps"], py_all["e2e_eps"]) if other and py_all else None, 0.5,
            f"{runtime} / python events/s, 1 worker")
    add("1 -> all rules costs < 5x per event",
        ratio(one["e2e_eps"], py_all["e2e_eps"]) if one and py_all else None, 5.0,
        "events/s at 1 rule / at all rules, python, 1 worker", higher=False)
    return out


def ensure_events(path: Path, count: int, seed: int, attacks: int, progress: Progress) -> Path:
    """Generate the benchmark's event file unless it exists."""
    if path.exists():
        return path
    from benchmarks.generator import GeneratorConfig, write_ndjson

    progress(f"generating {count:,} events (seed {seed}, {attacks} attack chains) -> {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_ndjson(path, GeneratorConfig(events=count, seed=seed, attacks=attacks))
    return path
