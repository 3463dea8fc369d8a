"""Showing the results: a rich table, JSON for machines, and ``docs/performance.md``.

The markdown file is regenerated whole, except the text between ``<!-- notes -->`` and
``<!-- /notes -->``, which is kept from the existing file (hand-written findings).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

NOTES = re.compile(r"<!-- notes -->.*?<!-- /notes -->", re.DOTALL)
COLUMNS = (
    "rules", "runtime", "workers", "events/s e2e", "events/s eval", "Kestrel/eql",
    "Kestrel/limit", "peak RSS MB", "latency p50/p99 ms", "alerts", "status",
)


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}x" if value >= 10 else f"{value:.2f}x"


def _rules(row: dict[str, Any]) -> str:
    if row.get("rules") is None:
        return row["ruleset"]
    notes = []
    if row.get("compile_failed"):
        notes.append(f"{row['compile_failed']} not compiled")
    if row.get("runtime_dropped"):
        notes.append(f"{row['runtime_dropped']} rejected by runtime")
    return f"{row['ruleset']} ({', '.join([str(row['rules']), *notes])})"


def _cells(row: dict[str, Any]) -> list[str]:
    latency = "-"
    if row.get("latency_p50_ms") is not None:
        latency = f"{row['latency_p50_ms']:.1f} / {row['latency_p99_ms']:.1f}"
    return [
        _rules(row), row["runtime"], str(row["workers"]), _num(row["e2e_eps"]),
        _num(row["eval_eps"]), _ratio(row["ratio_peer"]), _ratio(row["ratio_limit"]),
        _num(row["peak_rss_mb"]), latency, _num(row.get("alerts")),
        row["status"] if row["status"] == "ok" else row["status"][:70],
    ]


def _peer_lines(summary: dict[str, Any]) -> list[str]:
    lines = []
    for ruleset, peer in summary["raw"]["peer"].items():
        if peer.get("status") != "ok":
            lines.append(f"{ruleset}: {peer.get('status')}")
            continue
        e2e = [r["events"] / r["seconds"] for r in peer["e2e"]]
        lines.append(
            f"{ruleset}: eql ran {peer['rules']} of {peer['candidates']} rules "
            f"({peer['parse_failed']} not accepted), {sorted(e2e)[len(e2e) // 2]:,.1f} events/s "
            f"end to end on the first {peer['prefix']:,} of {peer['total_events']:,} events"
        )
    return lines


def _partials_line(partials: dict[str, Any]) -> str:
    if partials.get("status") != "ok":
        return f"not measured: {partials.get('status')}"
    per = partials.get("bytes_per_partial")
    return (
        f"{_num(per)} bytes per pending partial ({partials['partials']:,} partials, "
        f"{partials.get('keys') or 0:,} keys, {partials['rules']} sequence rules, after "
        f"{partials['events']:,} events; {partials['method']})"
    )


def print_table(summary: dict[str, Any], console: Console | None = None) -> None:
    """The results as a terminal table, then the peer, memory and target lines."""
    console = console or Console()
    if not console.is_terminal:
        console.width = max(console.width, 180)
    table = Table(title="Kestrel benchmarks (medians)")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("rules", "status") else "right")
    for row in summary["rows"]:
        table.add_row(*(escape(c) for c in _cells(row)))
    console.print(table)
    console.print(f"limit (orjson + one lookup): {_num(summary['limit']['eps'])} events/s")
    for line in _peer_lines(summary):
        console.print(escape(f"peer {line}"))
    console.print(escape(f"partial sequences: {_partials_line(summary['partials'])}"))
    for target in summary["targets"]:
        value = target["value"]
        shown = "-" if value is None else (_num(value) if value >= 100 else f"{value:.2f}")
        console.print(escape(f"target {target['status'].upper()}: {target['target']}: "
                             f"{shown} ({target['detail']})"))


def write_json(summary: dict[str, Any], path: str | Path) -> None:
    """Everything, raw runs included."""
    Path(path).write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2
                                        | orjson.OPT_NON_STR_KEYS))


def _md_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in _cells(r)) + " |" for r in rows]
    return lines


def _profile_lines(profile: dict[str, Any] | None) -> list[str]:
    if not profile or profile.get("status") != "ok":
        reason = (profile or {}).get("status", "not run (--profile)")
        return [f"Not measured: {reason}."]
    run = profile["run"]
    lines = [
        f"One end-to-end run of `{profile['ruleset']}` ({profile['rules']} rules, "
        f"{run['events']:,} events) under cProfile, sorted by own time:",
        "",
        "| function | calls | own s | cumulative s |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{r['function']}` | {r['calls']:,} | {r['tottime']:.3f} | {r['cumtime']:.3f} |"
              for r in profile["by_tottime"][:15]]
    return lines


def markdown(summary: dict[str, Any], command: str, notes: str) -> str:
    """The whole of docs/performance.md."""
    m = summary["machine"]
    ev = summary["events"]
    lines = [
        "# Performance",
        "",
        "Generated by `python -m benchmarks` (the harness in `benchmarks/`); rerun it to update.",
        "Medians of the runs; events/s end to end read an NDJSON file (decode, normalize, detect,",
        "alerts to a counting sink); *eval* feeds pre-decoded events to `Engine.process`.",
        "*Kestrel/eql* compares with the `eql` package's `PythonEngine` on the same rules it",
        "accepts (on a prefix of the events when it is slow: a per-event ratio); *Kestrel/limit*",
        "with orjson decoding the same file plus one dict lookup per event.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']} "
        f"({m['platform']}); eql {m['eql'] or 'not installed'}; {m['date']}; load average "
        f"{' / '.join(map(str, m.get('load_average') or []))} (1/5/15 min) at the end; "
        f"{m.get('native') or 'native speedups: not recorded'}.",
        "",
        f"Events: {ev['count']:,} generated ECS events ({ev['bytes'] / 1e6:,.0f} MB, seed "
        f"{ev['seed']}, {ev['attacks']} attack chains), `{ev['name']}`.",
        "",
        *_md_table(summary["rows"]),
        "",
        f"Limit (orjson + one lookup): {_num(summary['limit']['eps'])} events/s.",
        "",
        *[f"- peer {line}" for line in _peer_lines(summary)],
        "",
        f"Memory per pending partial sequence: {_partials_line(summary['partials'])}.",
        "",
        "## Targets",
        "",
        "| target | status | measured |",
        "|---|---|---|",
        *[f"| {t['target']} | {t['status']} | "
          f"{'-' if t['value'] is None else _num(t['value'], 2)} ({t['detail']}) |"
          for t in summary["targets"]],
        "",
        "## Profile (python runtime)",
        "",
        *_profile_lines(summary.get("profile")),
        "",
        "## Notes",
        "",
        notes,
        "",
        "## Reproduce",
        "",
        "```",
        "tox -e bench                      # installs the eql peer in that env only",
        f"{command}",
        "python -m benchmarks --quick      # a smoke run: small file, 1 repeat",
        "python -m benchmarks generate --events 1000000 --seed 7 --attacks 50 -o events.ndjson",
        "```",
        "",
    ]
    return "\n".join(lines)


def write_markdown(summary: dict[str, Any], path: str | Path, command: str) -> None:
    """Write docs/performance.md, keeping its hand-written notes."""
    target = Path(path)
    notes = "<!-- notes -->\n<!-- /notes -->"
    if target.exists():
        found = NOTES.search(target.read_text(encoding="utf-8"))
        if found:
            notes = found.group(0)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(markdown(summary, command, notes), encoding="utf-8")
