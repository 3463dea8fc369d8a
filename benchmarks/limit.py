"""The limit: what reading the same NDJSON file costs before any detection.

orjson decodes each line and one dict lookup touches the result: no engine written in Python
can read the file faster, so ``Kestrel / limit`` says how much of that budget detection takes.
"""

from __future__ import annotations

import time
from typing import Any

import orjson


def decode_only(path: str) -> dict[str, Any]:
    """Decode every line of ``path`` with orjson and look up ``event`` once per record."""
    loads = orjson.loads
    count = 0
    hits = 0
    started = time.perf_counter()
    with open(path, "rb") as stream:
        for line in stream:
            record = loads(line)
            if record.get("event") is not None:
                hits += 1
            count += 1
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "events": count, "with_event": hits}
