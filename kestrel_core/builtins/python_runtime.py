"""The built-in ``python`` predicate runtime, registered through the public hook."""

from __future__ import annotations

from kestrel_core import hookimpl
from kestrel_core.runtime.python import PythonRuntime
from kestrel_core.types import PredicateRuntime


@hookimpl
def kestrel_predicate_runtimes() -> list[PredicateRuntime]:
    """The ``python`` runtime: IR compiled into one generated Python module."""
    return [PredicateRuntime(name="python", factory=PythonRuntime)]
