"""Several workers, measured through the stable ``kestrel run --workers N`` contract.

The rules go to a temporary ``.json`` rule file (the ``eql`` rule format). The rate is the
engine's own ``events_per_s`` from the stats line: its clock starts once the workers are ready
(plugins loaded, rules compiled) and stops at the end of the input. Without that figure, the
CLI's start-up is measured on an empty event file and subtracted, and a run small against its
start-up is reported as start-up dominated instead of as a number. While it runs, the process
tree is sampled: a run that never had a child process did not use workers, and is reported as
"not yet" rather than as a multi-worker number.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.rulesets import RuleText

POLL_S = 0.05
#: Below this share of the start-up time, the difference of two runs is mostly noise.
STARTUP_SHARE = 0.25


def _descendants(pid: int) -> set[int]:
    """Every descendant process of ``pid`` (Linux ``/proc``); empty where unreadable."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _run(args: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: set[int] = set()
    while proc.poll() is None:
        seen |= _descendants(proc.pid)
        time.sleep(POLL_S)
    seconds = time.perf_counter() - started
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    lines = [line for line in stderr.splitlines() if line.strip()]
    stats: dict[str, Any] = {}
    if lines:
        try:
            stats = json.loads(lines[-1])
        except ValueError:
            stats = {}
    return {
        "seconds": seconds,
        "returncode": proc.returncode,
        "children": len(seen),
        "stats": stats,
        "stderr_tail": lines[-3:],
    }


def run_cli(rules: list[RuleText], runtime: str, workers: int, path: str) -> dict[str, Any]:
    """Time ``kestrel run`` over ``path`` minus its start-up; say whether workers were used."""
    with tempfile.TemporaryDirectory(prefix="kestrel-bench-") as tmp:
        rule_file = Path(tmp) / "rules.json"
        rule_file.write_text(json.dumps(
            {"rules": [{"id": r.id, "name": r.name, "query": r.query} for r in rules]}
        ))
        empty = Path(tmp) / "empty.ndjson"
        empty.write_bytes(b"")
        base = [sys.executable, "-m", "kestrel_core", "run", "--rules", str(rule_file),
                "--runtime", runtime, "--workers", str(workers), "--events"]
        startup = _run([*base, str(empty)])
        full = _run([*base, path])
    if full["returncode"] != 0:
        tail = " | ".join(full["stderr_tail"]) or f"exit {full['returncode']}"
        return {"status": f"kestrel run failed: {tail[:160]}"}
    stats = full["stats"]
    events = int(stats.get("decoded", stats.get("evaluated", 0)) or 0)
    net = full["seconds"] - startup["seconds"]
    # The engine's own clock starts once the workers are ready (rules compiled) and stops at
    # the end of the input: the run without its start-up, free of the noise of subtracting
    # two process launches. The subtraction stays the fallback and the sanity check.
    rate = stats.get("events_per_s")
    if rate and events:
        net = events / rate
    used = full["children"] > 0 or int(stats.get("workers", 1) or 1) > 1
    status = "ok"
    if not used:
        status = f"not yet (kestrel run --workers {workers} used one process)"
    elif not rate and net < STARTUP_SHARE * startup["seconds"]:
        status = (f"start-up dominated: run {full['seconds']:.1f}s vs start-up "
                  f"{startup['seconds']:.1f}s (give more events)")
    return {
        "status": status,
        "seconds": net if status == "ok" else None,
        "full_seconds": full["seconds"],
        "startup_seconds": startup["seconds"],
        "events": events,
        "alerts": stats.get("alerts"),
        "children": full["children"],
    }
