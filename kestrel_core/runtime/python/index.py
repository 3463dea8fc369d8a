r"""The router: which predicates an event reaches.

Predicates are grouped by category (an event reaches the predicates of its categories plus the
``any`` ones). Within a category every predicate gets a *requirement*: a set of *atoms*, at
least one of which holds on every event that makes the condition true. The generated code checks
the atoms of all predicates at once (dict look-ups, one Aho-Corasick pass per field) and
evaluates only the predicates one of whose atoms holds: the *candidates*.

Atoms (``path`` is the field, ``case_insensitive`` says whether the lowercased value is tested):

* ``eq``: the value (or an element of a list) equals ``value``: an equality, an ``in`` set, an
  exact wildcard;
* ``base``: the *basename* of the value, the text after its last backslash, equals ``value``.
  A wildcard ``*\rundll32.exe`` (or ``*\System32\rundll32.exe``) on any path field implies it:
  a string ending with a suffix that holds a backslash has the suffix's basename;
  ``base/``: the same after the last slash (``*/bin/who``);
* ``lit``: the value contains ``value`` (the longest literal chunk of a wildcard,
  ``startsWith``, ``endsWith``, ``stringContains``), found by one Aho-Corasick automaton per
  field;
* ``tail``: the last character of the value is ``value`` (a short suffix such as ``"* "``);
* ``present``: the value is not null, as every comparison, ``in``, match or string function of
  a field needs to be true *or false* (three-valued logic).

Requirements are computed for both truth values of every node (``not`` swaps them):
``and`` true takes the cheapest operand's requirement (any one suffices); ``and`` false the
union of the operands' false requirements; ``or`` the reverse. So Sigma's ``any where
(Image:"*\\a.exe" and CommandLine:"*x*") or OriginalFileName:"A.EXE"`` is filed under
``lit 'x'`` (or ``base 'a.exe'``) and ``eq 'a.exe'``. A predicate without a requirement is
*scanned* (evaluated for every event of its category); one whose requirement is empty can never
be true and is never evaluated.

Correctness rests on one rule: every atom set is implied by the node having that truth value,
so no true match is ever dropped. The property tests compare the routed code with the
interpreter.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

import attrs

from kestrel_core import ir
from kestrel_core.events.fields import dotted_name
from kestrel_core.runtime import patterns

#: Shorter literals are too common to prefilter on (the field's presence is used instead).
MIN_LITERAL = 3

FieldKey = tuple[tuple[str | int, ...], bool]  # (path, case_insensitive)
EQ, BASE, SLASH_BASE, LIT, TAIL, PRESENT = "eq", "base", "base/", "lit", "tail", "present"


@attrs.frozen
class Atom:
    """One condition the router can test cheaply for every event (see the module doc)."""

    kind: str
    path: tuple[str | int, ...]
    case_insensitive: bool = False
    value: Any = None

    @property
    def field(self) -> FieldKey:
        """The dispatcher (table or automaton) this atom belongs to."""
        return (self.path, self.case_insensitive)


Requirement = frozenset[Atom] | None  # None: no requirement (always a candidate)


def _indexable(value: Any) -> bool:
    if type(value) is str or type(value) is int:
        return True
    return type(value) is float and math.isfinite(value)


def basename(text: str, separator: str = "\\") -> str:
    """The text after the last ``separator`` (all of it when it has none)."""
    return text.rpartition(separator)[2]


def _base_atom(path: tuple, ci: bool, suffix: str) -> Atom | None:
    """The basename atom a value ending with ``suffix`` implies, if the suffix holds a
    separator (a backslash, else a slash)."""
    if "\\" in suffix:
        return Atom(BASE, path, ci, basename(suffix, "\\"))
    if "/" in suffix:
        return Atom(SLASH_BASE, path, ci, basename(suffix, "/"))
    return None


def _present(expr: ir.Expr) -> frozenset[Atom] | None:
    if isinstance(expr, ir.Field):
        return frozenset([Atom(PRESENT, expr.path)])
    return None


def _equality(path: tuple, value: Any, ci: bool) -> Atom:
    if ci and type(value) is str:
        return Atom(EQ, path, True, value.lower())
    return Atom(EQ, path, False, value)


def wildcard_atom(path: tuple, pattern: str, ci: bool) -> Atom:
    """The cheapest atom a match of one wildcard pattern implies."""
    text = pattern.lower() if ci else pattern
    parts = patterns.parse_wildcard(text)
    literals = [p for p in parts if p not in (patterns.STAR, patterns.ONE)]
    if len(parts) == len(literals):  # no wildcard: an exact match
        return Atom(EQ, path, ci, "".join(literals))
    if len(parts) == 2 and parts[0] == patterns.STAR:
        base = _base_atom(path, ci, parts[1])
        if base is not None:
            return base
    longest = max(literals, key=len, default="")
    if len(longest) >= MIN_LITERAL:
        return Atom(LIT, path, ci, longest)
    if len(parts) > 1 and parts[-1] not in (patterns.STAR, patterns.ONE):
        return Atom(TAIL, path, ci, parts[-1][-1])
    return Atom(PRESENT, path)


_LITERAL_CALLS = {"startswith", "endswith", "stringcontains"}


def _leaf(node: ir.Expr) -> tuple[Requirement, Requirement]:
    """The (true, false) requirements of a node that is not ``and``/``or``/``not``; none for
    a leaf on a field the router cannot read (see :func:`routable`)."""
    true, false = _leaf_atoms(node)
    return _routable(true), _routable(false)


def routable(path: tuple[str | int, ...]) -> bool:
    """Whether routing can read ``path``: it is held by the flat view of the event."""
    return dotted_name(path) is not None


def _routable(req: Requirement) -> Requirement:
    if req is None or all(routable(a.path) for a in req):
        return req
    return None


def _leaf_atoms(node: ir.Expr) -> tuple[Requirement, Requirement]:
    if isinstance(node, ir.Literal):
        never: frozenset[Atom] = frozenset()
        if node.value is True:
            return None, never
        if node.value is False:
            return never, None
        return never, never  # null or a non-boolean: never true, never false
    if isinstance(node, ir.Field):
        return _present(node), _present(node)
    if isinstance(node, ir.IsNull):
        return None, _present(node.operand)
    if isinstance(node, ir.Compare):
        return _compare(node)
    if isinstance(node, ir.In):
        return _in(node)
    if isinstance(node, ir.Match):
        if not isinstance(node.operand, ir.Field):
            return None, None
        present = _present(node.operand)
        if node.kind != "wildcard" or not node.patterns:
            return present, present
        path, ci = node.operand.path, node.case_insensitive
        atoms = frozenset(wildcard_atom(path, p, ci) for p in node.patterns)
        return atoms, present
    if isinstance(node, ir.Call) and node.name in _LITERAL_CALLS and len(node.args) == 2:
        source, arg = node.args
        if not isinstance(source, ir.Field):
            return None, None
        present = _present(source)
        if not (isinstance(arg, ir.Literal) and type(arg.value) is str):
            return present, present
        ci, text = node.case_insensitive, arg.value
        text = text.lower() if ci else text
        base = _base_atom(source.path, ci, text) if node.name == "endswith" else None
        if base is not None:
            return frozenset([base]), present
        if len(text) >= MIN_LITERAL:
            return frozenset([Atom(LIT, source.path, ci, text)]), present
        return present, present
    return None, None


def _compare(node: ir.Compare) -> tuple[Requirement, Requirement]:
    left, right, op = node.left, node.right, node.op
    if isinstance(left, ir.Literal) and not isinstance(right, ir.Literal):
        left, right = right, left
    if isinstance(right, ir.Literal) and right.value is None:
        return frozenset(), frozenset()  # a comparison with null is null
    if not isinstance(left, ir.Field):
        present = _present(right)
        return present, present
    present = _present(left)
    if op == "==" and isinstance(right, ir.Literal) and _indexable(right.value):
        return frozenset([_equality(left.path, right.value, node.case_insensitive)]), present
    return present, present


def _in(node: ir.In) -> tuple[Requirement, Requirement]:
    if not isinstance(node.operand, ir.Field):
        return None, None
    present = _present(node.operand)
    if not all(isinstance(v, ir.Literal) for v in node.values):
        return present, present
    values = [v.value for v in node.values if v.value is not None]  # type: ignore[union-attr]
    if not all(_indexable(v) for v in values):
        return present, present
    path, ci = node.operand.path, node.case_insensitive
    return frozenset(_equality(path, v, ci) for v in values), present


# -------------------------------------------------------------------------------------------
# Costs: the expected share of events on which an atom holds (a guess, from its kind, its
# length and how many predicates use it: values that many rules name are common in data).

PRESENT_COST = 0.95
#: The least share of events a literal holding a path separator is guessed to occur in.
PATH_LITERAL_COST = 0.01
CATEGORY_FIELD = ("event", "category")
#: A requirement on one field is never costlier than the field's presence.
FIELD_CAP = 0.9


class CostModel:
    """Estimates how often atoms hold, from the rule set itself: ``share`` counts the predicates
    whose leaves use each atom (values many rules name are common in data), ``distinct`` the
    values the rules name per field and kind (a field with few, such as a company name or an
    integrity level, has common values; an image basename has hundreds)."""

    def __init__(self, share: Counter | None = None, category: str | None = None) -> None:
        self.share: Counter = share if share is not None else Counter()
        #: the plan's category: ``event.category == category`` holds on about every event
        self.category = category
        self.distinct: Counter = Counter(
            (a.kind, a.field) for a in self.share if a.kind in (EQ, BASE, SLASH_BASE)
        )

    def atom(self, atom: Atom) -> float:
        """The guessed probability that ``atom`` holds on an event."""
        if atom.kind == PRESENT:
            return PRESENT_COST
        if atom.kind == EQ and atom.path == CATEGORY_FIELD and atom.value == self.category:
            return PRESENT_COST
        if atom.kind == LIT:
            p = min(0.5, 0.4 * 0.55 ** (len(atom.value) - MIN_LITERAL))
            # path fragments (``\\windows\\system32\\``) are common whatever their length
            floor = PATH_LITERAL_COST if ("\\" in atom.value or "/" in atom.value) else 0.01
            p = max(p, floor)
        elif atom.kind == TAIL:
            p = 0.1
        else:
            p = min(0.5, 1 / (2 + self.distinct[(atom.kind, atom.field)]))
        return min(0.99, p * (1 + self.share[atom] / 8))

    def requirement(self, req: Requirement) -> float:
        """A requirement's cost: the chance that one of its atoms holds, as if independent
        (``inf`` for none)."""
        if req is None:
            return math.inf
        by_field: dict[tuple, float] = {}
        for a in req:
            by_field[a.path] = by_field.get(a.path, 1.0) * (1.0 - self.atom(a))
        miss = 1.0
        for path, field_miss in by_field.items():
            cost = 1.0 - field_miss
            if Atom(PRESENT, path) not in req:
                cost = min(cost, FIELD_CAP)
            miss *= 1.0 - cost
        return 1.0 - miss


def _children(node: ir.Expr) -> tuple[ir.Expr, ...]:
    if isinstance(node, (ir.And, ir.Or)):
        return node.operands
    if isinstance(node, ir.Not):
        return (node.operand,)
    return ()


def _post_order(root: ir.Expr) -> list[ir.Expr]:
    """The logic nodes and leaves of a condition, children first, iteratively (conditions nest
    ``or`` a thousand deep)."""
    seen: set[int] = set()
    order: list[ir.Expr] = []
    stack: list[tuple[ir.Expr, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((k, False) for k in _children(node))
    return order


def leaf_atoms(condition: ir.Expr) -> set[Atom]:
    """Every atom the leaves of a condition imply when true (for the cost model's shares)."""
    out: set[Atom] = set()
    for node in _post_order(condition):
        if not isinstance(node, (ir.And, ir.Or, ir.Not)):
            true, _false = _leaf(node)
            if true:
                out.update(true)
    return out


def requirement(condition: ir.Expr, costs: CostModel | None = None) -> Requirement:
    """Atoms, one of which holds whenever ``condition`` is true (``None``: no requirement)."""
    costs = costs or CostModel()
    memo: dict[int, tuple[Requirement, Requirement]] = {}

    def union(reqs: Iterable[Requirement]) -> Requirement:
        out: set[Atom] = set()
        for r in reqs:
            if r is None:
                return None
            out.update(r)
        return frozenset(out)

    def best(reqs: Iterable[Requirement]) -> Requirement:
        return min(reqs, key=costs.requirement, default=None)

    for node in _post_order(condition):
        if isinstance(node, ir.Not):
            true, false = memo[id(node.operand)]
            memo[id(node)] = (false, true)
        elif isinstance(node, ir.And):
            kids = [memo[id(k)] for k in node.operands]
            memo[id(node)] = (best(t for t, _ in kids), union(f for _, f in kids))
        elif isinstance(node, ir.Or):
            kids = [memo[id(k)] for k in node.operands]
            memo[id(node)] = (union(t for t, _ in kids), best(f for _, f in kids))
        else:
            memo[id(node)] = _leaf(node)
    return memo[id(condition)][0]


def _leaf_fields(node: ir.Expr) -> frozenset[tuple[str | int, ...]]:
    """Fields that must be non-null for a leaf to be true or false (null otherwise)."""
    if isinstance(node, ir.Field):
        return frozenset([node.path])
    if isinstance(node, ir.Compare):
        return frozenset(x.path for x in (node.left, node.right) if isinstance(x, ir.Field))
    if isinstance(node, (ir.In, ir.Match)) and isinstance(node.operand, ir.Field):
        return frozenset([node.operand.path])
    if (
        isinstance(node, ir.Call)
        and node.name in _LITERAL_CALLS
        and len(node.args) == 2
        and isinstance(node.args[0], ir.Field)
    ):
        return frozenset([node.args[0].path])
    return frozenset()


def _all_of(sets: list[frozenset]) -> frozenset:
    return frozenset().union(*sets)


def _common(sets: list[frozenset]) -> frozenset:
    return frozenset.intersection(*sets) if sets else frozenset()


def required_fields(condition: ir.Expr) -> frozenset[tuple[str | int, ...]]:
    """Fields that are non-null whenever ``condition`` is true (a subset of them: leaves the
    analysis does not know require nothing)."""
    memo: dict[int, tuple[frozenset, frozenset]] = {}
    for node in _post_order(condition):
        if isinstance(node, ir.Not):
            true, false = memo[id(node.operand)]
            memo[id(node)] = (false, true)
        elif isinstance(node, (ir.And, ir.Or)):
            kids = [memo[id(k)] for k in node.operands]
            trues, falses = [t for t, _ in kids], [f for _, f in kids]
            if isinstance(node, ir.And):
                memo[id(node)] = (_all_of(trues), _common(falses))
            else:
                memo[id(node)] = (_common(trues), _all_of(falses))
        elif isinstance(node, ir.IsNull):
            memo[id(node)] = (frozenset(), _leaf_fields(node.operand))
        else:
            fields = _leaf_fields(node)
            memo[id(node)] = (fields, fields)
    return memo[id(condition)][0]


# -------------------------------------------------------------------------------------------
# Plans


@attrs.define
class CategoryPlan:
    """The routes of one category's predicates (``category`` ``None`` is ``any``)."""

    category: str | None
    #: (path, ci) -> value -> predicates whose requirement holds the atom, per atom kind
    eq: dict[FieldKey, dict[Any, list[ir.Predicate]]] = attrs.field(factory=dict)
    base: dict[FieldKey, dict[str, list[ir.Predicate]]] = attrs.field(factory=dict)
    slash_base: dict[FieldKey, dict[str, list[ir.Predicate]]] = attrs.field(factory=dict)
    lit: dict[FieldKey, dict[str, list[ir.Predicate]]] = attrs.field(factory=dict)
    tail: dict[FieldKey, dict[str, list[ir.Predicate]]] = attrs.field(factory=dict)
    #: path -> predicates filed under the field's presence
    present: dict[tuple[str | int, ...], list[ir.Predicate]] = attrs.field(factory=dict)
    scanned: list[ir.Predicate] = attrs.field(factory=list)
    #: predicates that can never be true (never evaluated)
    never: list[ir.Predicate] = attrs.field(factory=list)
    #: predicate id -> its requirement (``None`` for scanned ones)
    routes: dict[int, Requirement] = attrs.field(factory=dict)
    #: predicate id -> fields non-null whenever it is true (candidates are checked for them)
    needs: dict[int, frozenset[tuple[str | int, ...]]] = attrs.field(factory=dict)

    @property
    def size(self) -> int:
        """How many predicates the category holds."""
        return len(self.routes)

    def routed(self) -> list[ir.Predicate]:
        """The predicates reached through an atom, each once, by id."""
        out: dict[int, ir.Predicate] = {}
        for tables in (self.eq, self.base, self.slash_base, self.lit, self.tail):
            for table in tables.values():
                for preds in table.values():
                    out.update((p.id, p) for p in preds)
        for preds in self.present.values():
            out.update((p.id, p) for p in preds)
        return [out[k] for k in sorted(out)]

    def hot_fields(self) -> list[FieldKey]:
        """The fields the dispatch reads (lowercased for case-insensitive atoms), stable order."""
        keys: list[FieldKey] = []
        for tables in (self.eq, self.base, self.slash_base, self.lit, self.tail):
            keys.extend(tables)
        keys.extend((path, False) for path in self.present)
        return list(dict.fromkeys(keys))

    def kind_of(self, predicate_id: int) -> str:
        """``indexed`` (hash keys only), ``prefiltered`` (a literal), ``guarded`` (a field's
        presence), ``scanned`` or ``never``."""
        req = self.routes[predicate_id]
        if req is None:
            return "scanned"
        kinds = {a.kind for a in req}
        if not kinds:
            return "never"
        if PRESENT in kinds:
            return "guarded"
        return "prefiltered" if LIT in kinds else "indexed"


def plan(
    predicates: Iterable[ir.Predicate], use_index: bool = True, merge_any: bool = False
) -> list[CategoryPlan]:
    """Route every predicate; categories in first-seen order, ``any`` last.

    ``merge_any``: each category's plan also routes the category-less predicates (so one
    routing pass per event serves both); the ``any`` plan is still made, for events of no
    planned category.
    """
    by_category: dict[str | None, list[ir.Predicate]] = {}
    for p in predicates:
        by_category.setdefault(p.category, []).append(p)
    order = list(by_category)
    anywhere = by_category.get(None, [])
    plans = []
    for category in sorted(order, key=lambda c: (c is None, order.index(c))):
        preds = by_category[category]
        if merge_any and category is not None:
            preds = preds + anywhere
        plans.append(plan_one(category, preds, use_index))
    if merge_any and None not in by_category:
        plans.append(CategoryPlan(None))
    return plans


def plan_one(
    category: str | None, preds: list[ir.Predicate], use_index: bool = True
) -> CategoryPlan:
    """Route ``preds`` as the plan of ``category``."""
    result = CategoryPlan(category)
    if not use_index:
        result.scanned.extend(preds)
        result.routes.update((p.id, None) for p in preds)
        return result
    share: Counter = Counter()
    for p in preds:
        share.update(leaf_atoms(p.condition))
    costs = CostModel(share, category)
    for p in preds:
        req = requirement(p.condition, costs)
        result.routes[p.id] = req
        result.needs[p.id] = required_fields(p.condition)
        if req is None:
            result.scanned.append(p)
        elif not req:
            result.never.append(p)
        else:
            _file(result, p, req)
    return result


def _file(result: CategoryPlan, p: ir.Predicate, req: frozenset[Atom]) -> None:
    present = {a.path for a in req if a.kind == PRESENT}
    for path in sorted(present, key=repr):
        result.present.setdefault(path, []).append(p)
    for atom in sorted(req, key=repr):
        if atom.kind == PRESENT or atom.path in present:
            continue  # the field's presence already files it
        tables = {
            EQ: result.eq, BASE: result.base, SLASH_BASE: result.slash_base, LIT: result.lit,
            TAIL: result.tail,
        }[atom.kind]
        bucket = tables.setdefault(atom.field, {}).setdefault(atom.value, [])
        if not bucket or bucket[-1] is not p:
            bucket.append(p)
