"""What the numbers were measured on."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _native() -> str:
    """Whether Kestrel runs its native speedups (the bench children inherit the setting)."""
    try:
        from kestrel_core import native
    except ImportError:
        return "unknown"
    return native.describe()


def describe() -> dict[str, Any]:
    """CPU model, cores, memory, load, Python and the versions of what was measured."""
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu": _cpu_model(),
        # Other work on the machine skews every number: shown beside the results.
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "kestrel_core": _version("kestrel-core"),
        "eql": _version("eql"),
        "orjson": _version("orjson"),
        "native": _native(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
