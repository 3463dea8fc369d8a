"""``kestrel query --dialect endgame`` end to end (a subprocess, as scripts drive it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RECORDS = [
    {"event_type": "process", "subtype": "create", "unique_pid": 1, "unique_ppid": 0,
     "process_name": "wmiprvse.exe", "timestamp": 131485997150000000, "serial_event_id": 1},
    {"event_type": "process", "subtype": "create", "unique_pid": 2, "unique_ppid": 1,
     "process_name": "cmd.exe", "command_line": "cmd /c dir > out.txt",
     "timestamp": 131485997150000001, "serial_event_id": 2},
    {"event_type": "file", "subtype": "create", "unique_pid": 2, "file_name": "out.txt",
     "timestamp": 131485997150000002, "serial_event_id": 3},
]  # fmt: skip


def query(*args: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kestrel_core", "query", "--schema", "endgame", *args, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_eqllib_style_analytic(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps(RECORDS), encoding="utf-8")
    text = (
        "sequence by unique_pid with maxspan=5s\n"
        "  [process where subtype.create and process_name == 'CMD.exe' and command_line == '*>*'"
        " and descendant of [process where process_name == \"wmiprvse.exe\"]]\n"
        '  [file where subtype.create and wildcard(file_name, "*.txt", "*.log")]\n'
        "| unique unique_pid"
    )
    done = query("--dialect", "endgame", text, path=path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [[e["serial_event_id"] for e in line["events"]] for line in lines] == [[2, 3]]
    assert lines[0]["join_keys"] == [2]
    counted = query("--dialect", "endgame", "any where true | count event_type", path=path)
    assert [json.loads(line)["key"] for line in counted.stdout.splitlines()] == ["file", "process"]


def test_endgame_syntax_in_the_default_dialect_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text("[]", encoding="utf-8")
    done = query("process where true | count", path=path)
    assert done.returncode == 2
    assert "endgame dialect" in done.stderr
