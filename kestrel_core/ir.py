"""The Kestrel intermediate representation (IR).

Rule formats (EQL, packages) produce IR; predicate runtimes (Python, Wasm, Lua) and the sequence
engine consume it. Every node is a small frozen attrs class with typed children, so a tree is
hashable, comparable and safe to share between threads and processes.

Semantics every runtime must implement identically
--------------------------------------------------
* **Values** are ``None`` (null / missing), ``bool``, ``int``, ``float`` or ``str``. A field load
  may also yield a list (a multi-valued field); see below.
* **Three-valued logic**, as Elasticsearch: a comparison, match or function with a null operand is
  null; ``Not(null)`` is null; ``And`` is false if any operand is false, else null if any is null,
  else true; ``Or`` is true if any operand is true, else null if any is null, else false. An event
  matches a predicate only when the condition is exactly true.
* **Multi-valued fields**: when a field load yields a list, a ``Compare``, ``In`` or ``Match``
  against it is true when *any* element makes it true (null elements are skipped; an empty list is
  null). ``Not`` applies to that result, so ``not x : "a"`` means "no element matches".
* **Strings**: ``Compare`` with ``case_insensitive=False`` compares code points exactly. With
  ``case_insensitive=True`` both sides are compared after ``str.lower()``. Ordering comparisons
  between a string and a number are null (Elasticsearch refuses them; the analyzer rejects the ones
  it can see statically).
* **Numbers**: ``int`` and ``float`` compare numerically; ``bool`` is not a number.
* **Event time**: :class:`EventTime` is the event's normalized timestamp in integer nanoseconds
  since the Unix epoch (null when the event has none).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal as TypingLiteral

import attrs

Scalar = None | bool | int | float | str


def _tuple(value: object) -> tuple:
    return tuple(value)  # type: ignore[arg-type]


@attrs.frozen
class Literal:
    """A constant value: ``None`` (null), ``bool``, ``int``, ``float`` or ``str``."""

    value: Scalar


@attrs.frozen
class Field:
    """A field load by path, e.g. ``("process", "parent", "name")`` or ``("args", 0)``.

    A path segment that is an ``int`` indexes into an array. Lookup accepts nested objects and flat
    dotted keys alike (``{"process": {"name": x}}`` and ``{"process.name": x}``); see
    :func:`kestrel_core.events.fields.lookup`. ``optional`` records EQL's ``?field`` (no
    unknown-field error at analysis); it does not change evaluation: a missing field is null
    either way.
    """

    path: tuple[str | int, ...] = attrs.field(converter=_tuple)
    optional: bool = False

    @property
    def dotted(self) -> str:
        """The path as EQL writes it: ``process.args[0]``."""
        out = ""
        for seg in self.path:
            if isinstance(seg, int):
                out += f"[{seg}]"
            else:
                out += ("." if out else "") + seg
        return out


@attrs.frozen
class EventTime:
    """The event's normalized timestamp, integer nanoseconds since the Unix epoch (or null)."""


CompareOp = TypingLiteral["==", "!=", "<", "<=", ">", ">="]


@attrs.frozen
class Compare:
    """``left OP right``. Null if either side is null (use :class:`IsNull` to test for null)."""

    op: CompareOp
    left: Expr
    right: Expr
    case_insensitive: bool = False


@attrs.frozen
class IsNull:
    """True when the operand is null or missing, false otherwise; never null itself."""

    operand: Expr


@attrs.frozen
class And:
    """Conjunction of two or more operands, three-valued."""

    operands: tuple[Expr, ...] = attrs.field(converter=_tuple)


@attrs.frozen
class Or:
    """Disjunction of two or more operands, three-valued."""

    operands: tuple[Expr, ...] = attrs.field(converter=_tuple)


@attrs.frozen
class Not:
    """Negation, three-valued: ``Not(null)`` is null."""

    operand: Expr


@attrs.frozen
class In:
    """``operand in (values...)``: true when the operand equals any value.

    Null when the operand is null. A null among the values never matches. With
    ``case_insensitive`` strings compare lowercased (EQL ``in~``). ``not in`` is ``Not(In(...))``.
    """

    operand: Expr
    values: tuple[Expr, ...] = attrs.field(converter=_tuple)
    case_insensitive: bool = False


MatchKind = TypingLiteral["wildcard", "regex"]


@attrs.frozen
class Match:
    r"""The operand matches any of ``patterns`` (string literals).

    ``wildcard``: ``*`` matches any run of characters, ``?`` exactly one, the whole string must
    match. There are no escapes: a backslash is a literal character (Elasticsearch EQL reads
    ``"C:\\Windows\\*"`` as ``C:\Windows\`` followed by a wildcard). ``regex``: a regular
    expression already translated to RE2 syntax by the rule format, matched against the whole
    string. Null when the operand is null; false when it is not a string.
    """

    kind: MatchKind
    operand: Expr
    patterns: tuple[str, ...] = attrs.field(converter=_tuple)
    case_insensitive: bool = False


ArithOp = TypingLiteral["+", "-", "*", "/", "%"]


@attrs.frozen
class Arith:
    """Arithmetic on numbers. Null if either side is null or not a number; integer division and
    modulo truncate toward zero (as Java does); division by zero is null."""

    op: ArithOp
    left: Expr
    right: Expr


@attrs.frozen
class Neg:
    """Unary minus."""

    operand: Expr


@attrs.frozen
class Call:
    """A function call. ``name`` is the canonical lowercase function name from :data:`FUNCTIONS`.

    ``case_insensitive`` is set for the ``~`` variants (``startsWith~``).
    """

    name: str
    args: tuple[Expr, ...] = attrs.field(converter=_tuple)
    case_insensitive: bool = False


#: Functions every runtime implements (canonical lowercase names). Semantics follow the
#: Elasticsearch EQL function reference; all return null when a required argument is null.
FUNCTIONS: frozenset[str] = frozenset(
    {
        "add",
        "between",
        "cidrmatch",
        "concat",
        "divide",
        "endswith",
        "indexof",
        "length",
        "modulo",
        "multiply",
        "number",
        "startswith",
        "string",
        "stringcontains",
        "substring",
        "subtract",
        # Array functions (Endgame ``arraySearch``/``arrayCount``, Elastic Defend
        # ``_arraysearch``): the first argument is the array, the second the element condition
        # as JSON IR (see kestrel_core.runtime.functions.arraysearch), then the values of the
        # outer fields it uses. Evaluated on the host (kestrel_core.lineage.host).
        "arraysearch",
        "arraycount",
    }
)

@attrs.frozen
class Lineage:
    """Process lineage (Endgame EQL, Elastic Defend): ``descendant of [q]``, ``child of [q]``,
    ``event of [q]``. Always true or false, never null.

    ``relation`` is ``descendant``, ``child`` or ``event``. An event's process is the one its
    schema profile's lineage fields name (:data:`kestrel_core.events.profiles.LINEAGE_FIELDS`).
    A process becomes a *source* of ``query`` when any event of that process matches ``query``.
    ``event of``: the event's process is a source; ``child of``: its parent was a source when it
    started; ``descendant of``: some ancestor was a source when its child on the path started
    (Endgame's semantics: the property is handed down at process start). Runtimes never see this
    node: the detector evaluates it on the host against the process tree
    (:mod:`kestrel_core.lineage`), and the runtimes evaluate the rest of the condition.
    """

    relation: LineageRelation
    query: EventQuery


LineageRelation = TypingLiteral["descendant", "child", "event"]


@attrs.frozen
class External:
    """A condition decided by a prebuilt rule package (hand-written Wasm or Lua), not by IR.

    ``runtime`` names the runtime that owns the package (``wasm``, ``lua``); ``ref`` is the
    package's absolute directory path; ``step`` the package step (0 for single-event packages).
    Only that runtime can compile it; any other raises ``CompileError``. The package decides
    true or false (never null).
    """

    runtime: str
    ref: str
    step: int = 0


Expr = (
    Literal | Field | EventTime | Compare | IsNull | And | Or | Not | In | Match | Arith | Neg
    | Call | External | Lineage
)

# --------------------------------------------------------------------------------------------
# Queries


@attrs.frozen
class EventQuery:
    """``category where condition``. ``category`` is ``None`` for ``any``.

    An event belongs to a category when the category is among the event's categories
    (compared case-sensitively, as Elasticsearch compares keyword values).
    """

    category: str | None
    condition: Expr


@attrs.frozen
class Step:
    """One step of a sequence or sample.

    ``keys`` are the join-key expressions of this step, query-level ``by`` keys first, then the
    step's own ``by`` keys. ``runs`` repeats the step (``with runs=N``). ``missing`` marks a
    missing-event step (``![...]``): the sequence matches only when no such event occurs.
    """

    query: EventQuery
    keys: tuple[Expr, ...] = attrs.field(converter=_tuple, factory=tuple)
    runs: int = 1
    missing: bool = False


@attrs.frozen
class SequenceQuery:
    """``sequence [by keys] [with maxspan=...] [steps...] [until [...]]``.

    ``maxspan_ns`` is inclusive and measured from the first event; ``None`` means unbounded.
    ``until`` is a step whose keys align with the others'.
    """

    steps: tuple[Step, ...] = attrs.field(converter=_tuple)
    maxspan_ns: int | None = None
    until: Step | None = None


@attrs.frozen
class SampleQuery:
    """``sample by keys [steps...]``: unordered; every step matched once per join key."""

    steps: tuple[Step, ...] = attrs.field(converter=_tuple)


@attrs.frozen
class JoinQuery:
    """Endgame ``join [by keys] [steps...] [until [...]]``: unordered, no time bound.

    Per join key, each step keeps the first event that matches it; when every step holds one,
    the join completes (events in step order) and the key starts afresh. ``until`` discards the
    key's pending events.
    """

    steps: tuple[Step, ...] = attrs.field(converter=_tuple)
    until: Step | None = None


@attrs.frozen
class Pipe:
    """A pipe after the query, e.g. ``Pipe("head", (5,))``. Names are lowercase.

    Elasticsearch: ``head N``, ``tail N``. Endgame adds ``count [exprs]``, ``unique exprs``,
    ``unique_count exprs``, ``filter expr`` and ``sort exprs`` (arguments are IR expressions
    evaluated on a result: a bare field reads its first event, ``events[N].field`` event N, and
    ``count``/``percent``/``key`` the values an earlier aggregating pipe added). See
    :mod:`kestrel_core.pipes`.
    """

    name: str
    args: tuple[Scalar | Expr, ...] = attrs.field(converter=_tuple, factory=tuple)


QueryBody = EventQuery | SequenceQuery | SampleQuery | JoinQuery


@attrs.frozen
class Query:
    """A whole query: the body and its pipes."""

    body: QueryBody
    pipes: tuple[Pipe, ...] = attrs.field(converter=_tuple, factory=tuple)

    @property
    def kind(self) -> str:
        """``event``, ``sequence``, ``sample`` or ``join``."""
        if isinstance(self.body, SequenceQuery):
            return "sequence"
        if isinstance(self.body, JoinQuery):
            return "join"
        if isinstance(self.body, SampleQuery):
            return "sample"
        return "event"

    def steps(self) -> tuple[Step, ...]:
        """The steps to evaluate per event: one for an event query; a sequence's ``until`` last."""
        body = self.body
        if isinstance(body, EventQuery):
            return (Step(body),)
        steps = body.steps
        if isinstance(body, (SequenceQuery, JoinQuery)) and body.until is not None:
            steps = (*steps, body.until)
        return steps


# --------------------------------------------------------------------------------------------
# What runtimes compile


@attrs.frozen
class Predicate:
    """One step condition of one rule, as handed to a predicate runtime.

    ``id`` is dense (0..n-1) across the compiled set; runtimes report hits by it.
    """

    id: int
    rule_id: str
    step: int
    category: str | None
    condition: Expr


def predicates_for(rules: list[tuple[str, Query]]) -> list[Predicate]:
    """Flatten (rule id, query) pairs into predicates with dense ids, steps in order."""
    out: list[Predicate] = []
    for rule_id, query in rules:
        for index, step in enumerate(query.steps()):
            out.append(
                Predicate(len(out), rule_id, index, step.query.category, step.query.condition)
            )
    return out


def walk(expr: Expr) -> Iterator[Expr]:
    """Yield ``expr`` and every sub-expression, depth first, parents before children."""
    yield expr
    if isinstance(expr, (Compare, Arith)):
        yield from walk(expr.left)
        yield from walk(expr.right)
    elif isinstance(expr, (And, Or)):
        for op in expr.operands:
            yield from walk(op)
    elif isinstance(expr, (Not, Neg, IsNull)):
        yield from walk(expr.operand)
    elif isinstance(expr, In):
        yield from walk(expr.operand)
        for v in expr.values:
            yield from walk(v)
    elif isinstance(expr, Match):
        yield from walk(expr.operand)
    elif isinstance(expr, Call):
        for a in expr.args:
            yield from walk(a)


def fields_of(expr: Expr) -> set[tuple[str | int, ...]]:
    """Every field path an expression loads."""
    return {e.path for e in walk(expr) if isinstance(e, Field)}


TRUE = Literal(True)
FALSE = Literal(False)
NULL = Literal(None)
