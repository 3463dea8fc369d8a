"""Helpers for the engine tests: the bundled examples and a bigger copy of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def kestrel(*args: str, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run the ``kestrel`` command of this environment."""
    exe = Path(sys.executable).with_name("kestrel")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, cwd=cwd, check=False, **kwargs
    )


def alerts_of(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def many_events(tmp_path_factory) -> Path:
    """The example events copied 40 times, each copy on other hosts, one second later."""
    src = (EXAMPLES / "events.ndjson").read_text().splitlines()
    out = tmp_path_factory.mktemp("events") / "many.ndjson"
    with open(out, "w") as fh:
        for copy in range(40):
            for line in src:
                rec = json.loads(line)
                rec["host"]["id"] = f"{rec['host']['id']}-{copy}"
                rec["host"]["name"] = f"{rec['host']['name']}-{copy}"
                fh.write(json.dumps(rec) + "\n")
    return out


__all__ = ["EXAMPLES", "ROOT", "alerts_of", "kestrel", "os"]
