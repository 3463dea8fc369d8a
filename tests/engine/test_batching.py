"""Events are read and detected in batches of the size the runtimes in use run best with,
unless ``--batch-size`` says otherwise."""

from __future__ import annotations

import json

import pytest

from kestrel_core.runtime.api import DEFAULT_BATCH
from kestrel_core.runtime.python import PythonRuntime

from .conftest import EXAMPLES, alerts_of, kestrel

EQL_RULES = [str(EXAMPLES / "rules" / name) for name in (
    "lsass_memory_dump.eql", "web_server_spawns_shell.eql", "web_shell_download_and_run.eql",
)]
EVENTS = str(EXAMPLES / "events.ndjson")  # 4,000 events


def _run(*args: str) -> tuple[list[dict], dict]:
    proc = kestrel("run", "--workers", "1", "--events", EVENTS,
                   *[a for r in EQL_RULES for a in ("--rules", r)],
                   *args)
    assert proc.returncode == 0, proc.stderr
    return alerts_of(proc.stdout), json.loads(proc.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(("args", "batches"), [
    ((), 4000 // PythonRuntime.preferred_batch),  # the python runtime's own size
    (("--batch-size", "100"), 40),
    (("--runtime", "wasm"), 4),  # wasm pays per call: large batches
    (("--runtime", "lua"), 4),
])
def test_batch_size_follows_the_runtime_unless_given(args: tuple[str, ...], batches: int) -> None:
    alerts, stats = _run(*args)
    assert stats["runtimes"][0]["batches"] == batches
    assert len(alerts) == 3 and stats["evaluated"] == 4000


def test_a_rule_set_mixing_runtimes_takes_the_largest_preference() -> None:
    """The bundled example holds wasm and Lua packages beside EQL rules."""
    proc = kestrel("run", "--config", str(EXAMPLES / "kestrel.toml"))
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stderr.strip().splitlines()[-1])
    assert {r["batches"] for r in stats["runtimes"]} == {4000 // DEFAULT_BATCH + 1}
    assert PythonRuntime.preferred_batch < DEFAULT_BATCH
