"""Kestrel's benchmark harness: throughput, latency and memory of every runtime.

Run it with ``python -m benchmarks`` (``tox -e bench`` also installs the peer ``eql`` engine).
The modules, each with one job:

* :mod:`benchmarks.generator` (with :mod:`benchmarks.entities`, :mod:`benchmarks.catalog` and
  :mod:`benchmarks.attacks`):
  deterministic ECS endpoint events with embedded attack chains;
* :mod:`benchmarks.rulesets`: the rule sets of the scenarios (1, 100, every Elastic rule,
  sequence-heavy);
* :mod:`benchmarks.kestrel_runner`, :mod:`benchmarks.peer`, :mod:`benchmarks.limit`: what is
  measured (Kestrel, the ``eql`` package's engine, orjson decoding);
* :mod:`benchmarks.child` and :mod:`benchmarks.runner`: one subprocess per scenario;
  :mod:`benchmarks.workers`: several workers through ``kestrel run --workers N``;
  :mod:`benchmarks.latency`: read -> alert latency without touching the engine;
* :mod:`benchmarks.report`: the terminal table, JSON and ``docs/performance.md``.

Nothing here is part of any Kestrel distribution; the ``eql`` package is imported only inside
:mod:`benchmarks.peer`.
"""
