"""``python -m benchmarks``: run the scenarios (default), ``generate`` events, or ``profile``.

::

    python -m benchmarks [--quick] [--rulesets one,100,elastic,sequences]
                         [--runtimes python,wasm,lua] [--workers 1,2] [--repeat 3]
                         [--events FILE | --events-count N --seed S --attacks K]
                         [--no-peer] [--peer-budget S] [--profile]
                         [--json FILE] [--markdown docs/performance.md]
    python -m benchmarks generate --events N --seed S --attacks K -o FILE
    python -m benchmarks profile [--ruleset elastic] [--runtime python] [--events FILE]
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import orjson
from rich.console import Console

from benchmarks import machine, report
from benchmarks.rulesets import ROOT, RULESETS
from benchmarks.runner import Settings, ensure_events, run_all, run_child

OUT = ROOT / "benchmarks" / "out"


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _events_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", dest="events_file", help="NDJSON event file to use")
    parser.add_argument("--events-count", type=int, default=None,
                        help="events to generate when --events is not given (default 100000)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--attacks", type=int, default=None,
                        help="attack chains to embed (default: one per 2,500 events)")
    parser.add_argument("--corpus", help="the shared corpus folder (default ../shared/corpus)")


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    gen = sub.add_parser("generate", help="write generated ECS events as NDJSON")
    gen.add_argument("--events", type=int, required=True, help="how many events")
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--attacks", type=int, default=2, help="attack chains to embed")
    gen.add_argument("--hosts", type=int, default=12)
    gen.add_argument("-o", "--output", required=True, help="output file")
    prof = sub.add_parser("profile", help="cProfile one end-to-end run")
    prof.add_argument("--ruleset", default="elastic", choices=RULESETS)
    prof.add_argument("--runtime", default="python")
    prof.add_argument("--out", help="also write the pstats file here")
    _events_options(prof)
    # the default command: run the scenarios (options on the main parser)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 5,000 events, 1 repeat, short peer budget")
    parser.add_argument("--rulesets", type=_csv, default=list(RULESETS))
    parser.add_argument("--runtimes", type=_csv, default=["python", "wasm", "lua"])
    parser.add_argument("--workers", type=lambda v: [int(x) for x in _csv(v)], default=[1, 2])
    parser.add_argument("--repeat", type=int, default=None, help="runs per measure (default 3)")
    parser.add_argument("--no-peer", action="store_true", help="skip the eql engine")
    parser.add_argument("--peer-budget", type=float, default=None,
                        help="seconds one eql run may take; sets its prefix (default 60)")
    parser.add_argument("--peer-max-events", type=int, default=None)
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--partial-events", type=int, default=None,
                        help="events streamed for memory per partial (0: skip)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the python runtime on all Elastic rules")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per scenario")
    parser.add_argument("--json", dest="json_out", help="write all results as JSON here")
    parser.add_argument("--markdown", help="write the report here (e.g. docs/performance.md)")
    parser.add_argument("--from-json", help="do not run: show (and --markdown) a --json file")
    _events_options(parser)
    return parser


def _events(args: argparse.Namespace, quick: bool, console: Console) -> dict[str, Any]:
    count = args.events_count or (5_000 if quick else 100_000)
    attacks = args.attacks if args.attacks is not None else max(2, count // 2_500)
    if args.events_file:
        path = Path(args.events_file)
    else:
        path = ensure_events(OUT / f"events-{count}-s{args.seed}-a{attacks}.ndjson", count,
                             args.seed, attacks, lambda m: console.print(f"[dim]{m}[/]"))
    with path.open("rb") as stream:
        lines = sum(1 for _ in stream)
    return {"path": str(path.resolve()), "name": path.name, "count": lines,
            "bytes": path.stat().st_size, "seed": args.seed, "attacks": attacks}


def cmd_generate(args: argparse.Namespace) -> int:
    """Write generated events."""
    from benchmarks.generator import GeneratorConfig, write_ndjson

    started = time.perf_counter()
    config = GeneratorConfig(events=args.events, seed=args.seed, attacks=args.attacks,
                             hosts=args.hosts)
    gen = write_ndjson(args.output, config)
    seconds = time.perf_counter() - started
    print(f"wrote {args.events:,} events to {args.output} in {seconds:.1f}s", file=sys.stderr)
    for attack in gen.attacks:
        print(f"  {attack.kind} ({attack.variant}) on {attack.host} at events "
              f"{attack.positions}", file=sys.stderr)
    return 0


def _profile(args: argparse.Namespace, events: dict[str, Any], ruleset: str,
             runtime: str, out: str | None) -> dict[str, Any]:
    spec = {"target": "profile", "events": events["path"], "corpus": args.corpus,
            "ruleset": ruleset, "runtime": runtime, "profile_out": out}
    result = run_child(spec, args.timeout if hasattr(args, "timeout") else 3600.0)
    result["ruleset"] = ruleset
    return result


def cmd_profile(args: argparse.Namespace) -> int:
    """Profile one end-to-end run and print the top functions."""
    console = Console(stderr=True)
    events = _events(args, False, console)
    result = _profile(args, events, args.ruleset, args.runtime, args.out)
    if result.get("status") != "ok":
        console.print(f"profile not measured: {result.get('status')}")
        return 1
    print("\n".join(report._profile_lines(result)))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run every scenario; print, and write JSON and markdown when asked."""
    if args.from_json:
        summary = orjson.loads(Path(args.from_json).read_bytes())
        return _show(summary, args, summary.get("command", ""))
    console = Console(stderr=True)
    quick = args.quick
    events = _events(args, quick, console)
    settings = Settings(
        events_path=events["path"],
        corpus=args.corpus,
        rulesets=args.rulesets,
        runtimes=args.runtimes,
        workers=args.workers,
        repeat=args.repeat or (1 if quick else 3),
        peer=not args.no_peer,
        peer_budget_s=args.peer_budget or (10.0 if quick else 60.0),
        peer_max_events=args.peer_max_events,
        latency=not args.no_latency,
        partial_events=(args.partial_events if args.partial_events is not None
                        else (2_000 if quick else 50_000)),
        timeout_s=args.timeout,
    )
    summary = run_all(settings, lambda m: console.print(f"[dim]{m}[/]"))
    summary["machine"] = machine.describe()
    summary["events"] = events
    summary["settings"] = attrs.asdict(settings)
    if args.profile:
        console.print("[dim]profiling python on all Elastic rules[/]")
        summary["profile"] = _profile(args, events, "elastic", "python",
                                      str(OUT / "profile.pstats"))
    summary["command"] = "python -m benchmarks " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    return _show(summary, args, summary["command"])


def _show(summary: dict[str, Any], args: argparse.Namespace, command: str) -> int:
    report.print_table(summary, Console())
    if args.json_out:
        report.write_json(summary, args.json_out)
    if args.markdown:
        report.write_markdown(summary, args.markdown, command)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks``."""
    args = build_parser().parse_args(argv)
    if args.command == "generate":
        return cmd_generate(args)
    if args.command == "profile":
        return cmd_profile(args)
    return cmd_run(args)
