"""The built-in ``python`` predicate runtime: IR -> one generated Python module per rule set.

* :mod:`.generator`: IR expressions -> Python expressions (one method per node kind);
* :mod:`.index`: the router (category; per predicate the atoms one of which its condition
  implies: equality and basename keys, Aho-Corasick literals, field presence);
* :mod:`.module`: assembles the generated module;
* :mod:`.helpers`: what the generated code calls off its fast path;
* :mod:`.compiled`: :class:`PythonRuntime` and the compiled predicates.
"""

from __future__ import annotations

from kestrel_core.runtime.python.compiled import CompiledPythonPredicates, PythonRuntime

__all__ = ["CompiledPythonPredicates", "PythonRuntime"]
