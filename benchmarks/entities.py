"""The generator's building blocks: weighted choice, processes, hosts, command lines."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from random import Random
from typing import Any, TypeVar

import attrs

T = TypeVar("T")
Record = dict[str, Any]


class Weighted:
    """A weighted choice that costs one random number and a bisection."""

    def __init__(self, items: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in items]
        self.cumulative: list[float] = []
        total = 0.0
        for _, weight in items:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: Random) -> Any:
        """One item, with probability proportional to its weight."""
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


@attrs.define(slots=True, eq=False)
class Process:
    """A live process on a host: what its events say about it."""

    entity_id: str
    pid: int
    name: str
    executable: str
    args: list[str]
    command_line: str
    user: str
    parent: Process | None
    original_file_name: str | None = None
    root: bool = False
    brief: Record = attrs.field(factory=dict)


@attrs.define(eq=False)
class Host:
    """A machine: identity, OS, its users and its live processes (by name, for parent lookup)."""

    ecs: Record
    os: str
    ip: str
    users: tuple[str, ...]
    next_pid: int
    live: list[Process] = attrs.field(factory=list)
    by_name: dict[str, list[Process]] = attrs.field(factory=dict)
    web_server: Process | None = None
    sequence: int = 0


def _quote(arg: str, os: str) -> str:
    if not arg or any(c in arg for c in ' \t"'):
        return f'"{arg}"' if os == "windows" else f"'{arg}'"
    return arg


def command_line(args: Sequence[str], os: str) -> str:
    """Join args as the OS shows a command line (quoting arguments with spaces)."""
    return " ".join(_quote(a, os) for a in args)


def basename(path: str) -> str:
    """The last component of a Windows or POSIX path."""
    return path.rsplit("\\" if "\\" in path else "/", 1)[-1]
