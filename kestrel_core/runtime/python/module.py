"""Assembles the generated module of a rule set: constants, predicate code, routing, main loop.

Layout of the generated source (read it with ``kestrel compile --emit python``)::

    _R0 = _regex('...', False)              # constants: patterns, sets, automata
    def _pred_17(f, ff, e, h): ...           # one predicate: appends 17 to h when true
    def _route_0_3(v): ...                   # the candidates of one field's value
    _E0_0 = {'c:\\x.exe': (17,)}           # routing tables (see .index), automata, caches
    _RT_0 = {'process.name': (_route_0_3, _K0_3)}  # per category: field -> router, its cache
    _FLAT = _flat_view([...])                # every field the rules read
    def _evaluate(events, skip=None): ...    # the batch loop
    def _evaluate_more(events, start, by_category): ...  # skipped ones, later in the batch

Per event the loop reads every field the rules name in one walk over the event (``ff``, a
dict from dotted name to value, see :class:`~kestrel_core.events.fields.FlatView`), so a field
no event holds costs nothing. Then, for the fields the event holds, the router of the event's
category (each category's routes include those of the category-less predicates) gives the
*candidates*: the predicates one of whose atoms holds (equality, basename and last-character
tables, one Aho-Corasick pass per field for the required literals, the presence of a field). A
value's candidates are computed once per distinct value and cached. Predicates with no
requirement are candidates on every event of their category. Each candidate is called once, and
a function only when the event holds every field it needs (non-null whenever it is true); a
predicate emitted as a program (:mod:`.program`, when the native speedups are built) is run
at once.

Every call is made inside ``try``: an exception is counted as a fault and drops that predicate's
hit for that event only. ``_COUNTS[0]`` counts the predicates evaluated.

The same code, built with ``router=True``, returns the candidates instead of calling them
(:class:`~kestrel_core.runtime.python.router.Router`, for runtimes that evaluate predicates
themselves).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kestrel_core import ir
from kestrel_core.errors import CompileError
from kestrel_core.events.fields import dotted_name
from kestrel_core.runtime.python.generator import ExprGenerator, py_literal
from kestrel_core.runtime.python.index import (
    BASE,
    EQ,
    LIT,
    PRESENT,
    SLASH_BASE,
    TAIL,
    CategoryPlan,
    FieldKey,
    plan,
)
from kestrel_core.runtime.python.program import NotAProgram, ProgramBuilder

#: Distinct values whose candidates are cached per routed field (the cache is then emptied).
ROUTE_CACHE = 4096


class ConstPool:
    """Module-level constants, each defined once by its source text."""

    def __init__(self) -> None:
        self.by_source: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def add(self, prefix: str, source: str) -> str:
        """The name of the constant whose value is ``source`` (defined on first use)."""
        name = self.by_source.get(source)
        if name is None:
            n = self.counts.get(prefix, 0)
            self.counts[prefix] = n + 1
            name = self.by_source[source] = f"{prefix}{n}"
        return name

    def lines(self) -> list[str]:
        """``NAME = SOURCE`` lines."""
        return [f"{name} = {source}" for source, name in self.by_source.items()]


def load_lines(var: str, path: tuple[str | int, ...]) -> list[str]:
    """Statements loading field ``path`` into ``var`` with the semantics of ``lookup``: from the
    event's flat view ``ff`` when the path is one it holds, else by ``lookup``."""
    name = dotted_name(path)
    if name is not None:
        return [f"{var} = ff.get({name!r})"]
    return [f"{var} = _lookup(f, {path!r})"]


def lower_line(name: str, raw: str) -> str:
    """The statement lowercasing ``raw`` into ``name`` (strings, and the strings of lists)."""
    return f"{name} = {raw}.lower() if type({raw}) is str else ({raw} and _lower({raw}))"


class Scope:
    """The locals of one generated function: field loads, lowercased copies, hoisted tests.

    Every path it loads is added to ``paths`` (the fields the module's flat view must read).
    """

    def __init__(self, paths: dict[tuple, None] | None = None) -> None:
        self.paths = paths if paths is not None else {}
        self.names: dict[tuple[tuple, bool], str] = {}
        self.loads: list[str] = []
        self.prelude: list[str] = []
        self.hoists = 0

    def field(self, path: tuple) -> str:
        """The local holding the field's value."""
        return self._name(path, lowered=False)

    def lowered(self, path: tuple) -> str:
        """The local holding the field's value lowercased (strings, and strings of lists)."""
        return self._name(path, lowered=True)

    def _name(self, path: tuple, lowered: bool) -> str:
        key = (path, lowered)
        if key not in self.names:
            raw = self.field(path) if lowered else None
            name = f"{'l' if lowered else 'v'}{len(self.names)}"
            self.names[key] = name
            if lowered:
                self.loads.append(lower_line(name, raw))  # type: ignore[arg-type]
            else:
                self.paths[path] = None
                self.loads.extend(load_lines(name, path))
        return self.names[key]

    def hoist(self, true_src: str, false_src: str) -> tuple[str, str]:
        """Compute a deep sub-condition's two forms into locals before the test."""
        n = self.hoists = self.hoists + 1
        self.prelude += [f"t{n} = {true_src}", f"u{n} = {false_src}"]
        return f"t{n}", f"u{n}"


class ModuleBuilder:
    """Builds the source of the module for a rule set (``router=True``: the candidates only)."""

    def __init__(
        self,
        predicates: Sequence[ir.Predicate],
        use_index: bool = True,
        router: bool = False,
        programs: bool = False,
    ) -> None:
        self.predicates = list(predicates)
        self.router = router
        self.plans = plan(self.predicates, use_index=use_index, merge_any=True)
        self.category_of = {p.id: p.category for p in self.predicates}
        self.consts = ConstPool()
        self.functions: list[str] = []
        self.tables: list[str] = []
        #: every field path the module reads (the flat view's paths)
        self.paths: dict[tuple, None] = {}
        #: predicate id -> the name of the frozenset of dotted fields it needs
        self.needs: dict[int, str] = {}
        self.stats: dict[str, int] = {
            "indexed": 0, "prefiltered": 0, "guarded": 0, "scanned": 0, "never": 0,
            "programs": 0,
        }
        #: predicates as programs for the native evaluator (see .program), when asked for
        self.programs = (
            ProgramBuilder(self.consts, lambda: Scope({}), self.functions, self.paths, "q")
            if programs and not router else None
        )

    # -- predicate code -----------------------------------------------------------------------

    def _predicate(self, p: ir.Predicate, need: frozenset[tuple]) -> None:
        """``_pred_<id>(f, ff, e, h)`` (once per predicate), and its needed fields."""
        if p.id in self.needs:
            return
        names = sorted(n for n in map(dotted_name, need) if n is not None)
        self.paths.update((path, None) for path in need if dotted_name(path) is not None)
        body = "".join(f"{n!r}, " for n in names)
        self.needs[p.id] = self.consts.add("_NE", f"frozenset(({body}))")
        if self.router:
            return
        if self.programs is not None:
            try:
                source = self.programs.program(f"_pred_{p.id}", p.condition)
            except NotAProgram:
                pass
            except CompileError as exc:
                raise CompileError(f"rule {p.rule_id!r} step {p.step}: {exc}") from exc
            else:
                doc = f"# rule {p.rule_id!r} step {p.step} (predicate {p.id}): a program"
                self.functions.append(f"{doc}\n_pred_{p.id} = {source}")
                self.stats["programs"] += 1
                return
        scope = Scope(self.paths)
        body_lines: list[str] = []
        # A top-level ``and`` becomes one early return per operand, each preceded by the loads
        # it is the first to need: a failing first test costs only its own fields.
        conjuncts = _conjuncts(p.condition)
        try:
            for n, node in enumerate(conjuncts):
                loaded = len(scope.loads)
                test = ExprGenerator(self.consts, scope).true(node)
                body_lines += scope.loads[loaded:] + scope.prelude
                scope.prelude = []
                if n < len(conjuncts) - 1:
                    body_lines += [f"if not {test}:", "    return"]
                else:
                    body_lines += [f"if {test}:", f"    h.append({p.id})"]
        except CompileError as exc:
            raise CompileError(f"rule {p.rule_id!r} step {p.step}: {exc}") from exc
        except RecursionError as exc:
            raise CompileError(f"rule {p.rule_id!r} step {p.step}: condition too deep") from exc
        doc = f"rule {p.rule_id!r} step {p.step} (predicate {p.id})"
        lines = [f"def _pred_{p.id}(f, ff, e, h):", f"    {doc!r}"]
        lines += ["    " + line for line in body_lines]
        self.functions.append("\n".join(lines))

    # -- per category -------------------------------------------------------------------------

    def _category(self, index: int, cat: CategoryPlan) -> tuple[str, str]:
        """The routing table (dotted field -> router) and always-candidates of one plan."""
        for pid in cat.routes:
            if self.category_of[pid] == cat.category:
                self.stats[cat.kind_of(pid)] += 1
        always = [p.id for p in cat.scanned]
        tables: dict[tuple[str, FieldKey], dict[Any, list[int]]] = {}
        present: dict[tuple, list[int]] = {}
        for p in cat.routed():
            atoms = cat.routes[p.id] or ()
            if any(dotted_name(a.path) is None for a in atoms):
                always.append(p.id)  # a field the flat view cannot hold: no route, every event
                continue
            for atom in atoms:
                if atom.kind == PRESENT:
                    present.setdefault(atom.path, []).append(p.id)
                else:
                    table = tables.setdefault((atom.kind, atom.field), {})
                    table.setdefault(atom.value, []).append(p.id)
        for p in [*cat.routed(), *cat.scanned]:
            self._predicate(p, cat.needs.get(p.id, frozenset()))
        paths = list(dict.fromkeys(
            [path for (_kind, (path, _ci)) in tables] + list(present)
        ))
        routers = []
        for path in paths:  # (None, ids): a field routed on its presence only, same ids always
            self.paths[path] = None
            name, cache = self._router(index, path, tables, present.get(path, []))
            routers.append(f"    {dotted_name(path)!r}: ({name}, {cache}),")
        table_name = f"_RT_{index}"
        self.tables.append("\n".join([f"{table_name} = {{", *routers, "}"]))
        always_src = "(" + "".join(f"{pid}, " for pid in sorted(set(always))) + ")"
        return table_name, always_src

    def _router(
        self, index: int, path: tuple, tables: dict[tuple[str, FieldKey], dict[Any, list[int]]],
        present: list[int],
    ) -> tuple[str, str]:
        """``_route_<k>_<n>(v)``: the candidates one value of field ``path`` routes to, and
        the name of the dict caching them per value (a string, an integer, or a list of
        strings as a tuple); or ``None`` and the tuple of ids for a router on presence only."""

        def entry(value: Any, pids: list[int]) -> str:
            found = "".join(f"{i}, " for i in sorted(set(pids)))
            return f"    {py_literal(value)}: ({found}),"

        strings: list[str] = []
        lists: list[str] = []
        uses_lower = False
        for ci in (False, True):
            field = (path, ci)
            key = "l" if ci else "v"
            kinds = [kind for (kind, fk) in tables if fk == field]
            if not kinds:
                continue
            uses_lower = uses_lower or ci
            table = tables.get((EQ, field))
            if table:
                name = f"_E{index}_{len(self.tables)}"
                numbers = f"_N{index}_{len(self.tables)}"
                text = [entry(v, ps) for v, ps in table.items() if type(v) is str]
                nums = [entry(v, ps) for v, ps in table.items() if type(v) is not str]
                self.tables.append("\n".join([f"{name} = {{", *text, "}"]))
                self.tables.append("\n".join([f"{numbers} = {{", *nums, "}"]))
                strings += [f"# {_describe(field)} equals", f"t = {name}.get({key})",
                            "if t is not None:", "    c += t"]
                lists.append(f"c += _dispatch({name}, {numbers}, {key})")
            for kind, sep in ((BASE, "\\"), (SLASH_BASE, "/")):
                table = tables.get((kind, field))
                if not table:
                    continue
                name = f"_B{index}_{len(self.tables)}"
                self.tables.append("\n".join(
                    [f"{name} = {{", *(entry(v, ps) for v, ps in table.items()), "}"]))
                strings += [f"# basename of {_describe(field)} (after the last {sep!r})",
                            f"t = {name}.get({key}.rpartition({sep!r})[2])",
                            "if t is not None:", "    c += t"]
                lists.append(f"c += _basenames({name}, {key}, {sep!r})")
            table = tables.get((TAIL, field))
            if table:
                name = f"_T{index}_{len(self.tables)}"
                self.tables.append("\n".join(
                    [f"{name} = {{", *(entry(v, ps) for v, ps in table.items()), "}"]))
                strings += [f"# last character of {_describe(field)}",
                            f"t = {name}.get({key}[-1:])", "if t is not None:", "    c += t"]
                lists.append(f"c += _tails({name}, {key})")
            table = tables.get((LIT, field))
            if table:
                name = f"_A{index}_{len(self.tables)}"
                entries = [entry(v, ps) for v, ps in table.items()]
                self.tables.append("\n".join([f"{name} = _automaton({{", *entries, "})"]))
                strings += [f"# {_describe(field)} contains", f"for _, t in {name}({key}):",
                            "    c += t"]
                lists.append(f"c += _candidates({name}, {key})")
        n = len(self.tables)
        always = ""
        if present:
            always = f"_P{index}_{n}"
            self.tables.append(f"{always} = ({''.join(f'{i}, ' for i in sorted(set(present)))})")
        router = f"_route_{index}_{n}"
        dotted = dotted_name(path)
        if not strings:  # presence only
            return "None", always or "()"
        cache = f"_K{index}_{n}"
        self.tables.append(f"{cache} = {{}}")
        # A string's candidates are computed once per distinct value and cached (the same
        # images, DLLs and companies recur in every event stream).
        body = [
            "if type(v) is str:",
            f"    t = {cache}.get(v)",
            "    if t is not None:",
            "        return t",
            "    c = []",
            *(["    l = v.lower()"] if uses_lower else []),
            *("    " + line for line in strings),
            *([f"    c += {always}"] if always else []),
            "    t = tuple(c)",
            f"    if len({cache}) >= {ROUTE_CACHE}:",
            f"        {cache}.clear()",
            f"    {cache}[v] = t",
            "    return t",
            "k = None",
            "if type(v) is int:",
            "    k = v",
            "elif type(v) is list and all(type(x) is str for x in v):",
            "    k = tuple(v)",
            "if k is not None:",
            f"    t = {cache}.get(k)",
            "    if t is not None:",
            "        return t",
            "c = []",
            *(["l = v and _lower(v)"] if uses_lower else []),
            *lists,
            *([f"c += {always}"] if always else []),
            "if k is not None:",
            "    t = tuple(c)",
            f"    if len({cache}) >= {ROUTE_CACHE}:",
            f"        {cache}.clear()",
            f"    {cache}[k] = t",
            "    return t",
            "return c",
        ]
        self.functions.append("\n".join([
            f"def {router}(v):", f"    {f'the candidates routed on {dotted}'!r}",
            *("    " + line for line in body),
        ]))
        return router, cache

    # -- the module ---------------------------------------------------------------------------

    def build(self) -> str:
        """The module's source text."""
        categories: list[str] = []
        anywhere = "({}, ())"
        for index, cat in enumerate(self.plans):
            table, always = self._category(index, cat)
            if cat.category is None:
                anywhere = f"({table}, {always})"
            else:
                categories.append(f"    {cat.category!r}: ({table}, {always}),")
        routing = [
            "def _route(cats, ff):",
            "    'The candidate predicate ids of an event (with repeats), from its fields.'",
            "    if len(cats) == 1:",
            "        rt, c = _CATS.get(cats[0], _ANY)",
            "        c = list(c)",
            "        _route_fields(rt, ff, c)",
            "        return c",
            "    planned = [_CATS[x] for x in dict.fromkeys(cats) if x in _CATS] or [_ANY]",
            "    c = []",
            "    for rt, always in planned:",
            "        c += always",
            "        _route_fields(rt, ff, c)",
            "    return c",
        ]
        if self.router:
            loop = [
                "def _route_events(events, skip=None):",
                "    'Per event, the sorted ids of the predicates that may be true on it.'",
                "    out = []",
                "    n = 0",
                "    for e in events:",
                "        ff = _FLAT(e.fields)",
                "        c = _route(e.categories, ff)",
                "        if c:",
                "            c = _candidate_ids(c, _NEED, ff, skip)",
                "            n += len(c)",
                "        else:",
                "            c = ()",
                "        out.append(c)",
                "    _COUNTS[0] += n",
                "    return out",
            ]
        else:
            loop = [
                "def _evaluate(events, skip=None):",
                "    'Every (event index, predicate id) whose condition holds, but skip.'",
                "    out = []",
                "    evaluated = 0",
                "    views = _VIEWS[0] = [] if skip else None",
                "    for i, e in enumerate(events):",
                "        f = e.fields",
                "        ff = _FLAT(f)",
                "        if views is not None:",
                "            views.append(ff)",
                "        c = _route(e.categories, ff)",
                "        if not c:",
                "            continue",
                "        h = []",
                "        evaluated += _call_candidates(c, _NEED, _FN, f, ff, e, h, _fault, skip)",
                "        if h:",
                "            if len(h) > 1:",
                "                h.sort()",
                "            for p in h:",
                "                out.append((i, p))",
                "    _COUNTS[0] += evaluated",
                "    return out",
                "",
                "",
                "def _evaluate_more(events, start, by_category):",
                "    # After _evaluate(events, skip): the hits over events[start:] of the",
                "    # predicates of by_category (category or None -> ids), on that pass's views.",
                "    out = []",
                "    evaluated = 0",
                "    views = _VIEWS[0]",
                "    anywhere = by_category.get(None, ())",
                "    for i in range(start, len(events)):",
                "        e = events[i]",
                "        cats = e.categories",
                "        c = list(anywhere)",
                "        for cat in cats:",
                "            c += by_category.get(cat, ())",
                "        if not c:",
                "            continue",
                "        h = []",
                "        f = e.fields",
                "        evaluated += _call_candidates(c, _NEED, _FN, f, views[i], e, h, _fault)",
                "        if h:",
                "            h.sort()",
                "            for p in h:",
                "                out.append((i, p))",
                "    _COUNTS[0] += evaluated",
                "    return out",
            ]
        ids = sorted(self.needs)
        registry = [
            "_FN = {" + "".join(f"{i}: _pred_{i}, " for i in ids) + "}" if not self.router
            else "_FN = {}",
            "_NEED = {" + "".join(f"{i}: {self.needs[i]}, " for i in ids) + "}",
        ]
        flat = "_FLAT = _flat_view([\n" + "".join(f"    {p!r},\n" for p in self.paths) + "])"
        header = [
            f"# Generated by kestrel_core.runtime.python: {len(self.predicates)} predicates,",
            f"# {self.stats['indexed']} indexed, {self.stats['prefiltered']} prefiltered, "
            f"{self.stats['guarded']} guarded, {self.stats['scanned']} scanned, "
            f"{self.stats['never']} never true; {self.stats['programs']} as programs.",
        ]
        parts = [
            "\n".join(header),
            "\n".join(self.consts.lines()),
            *self.functions,
            "\n".join(self.tables),
            "_CATS = {\n" + "\n".join(categories) + "\n}\n_ANY = " + anywhere,
            "\n".join(registry),
            flat + "\n_COUNTS = [0]\n_VIEWS = [None]",
            "\n".join(routing),
            "\n".join(loop),
        ]
        return "\n\n\n".join(p for p in parts if p) + "\n"


def _conjuncts(condition: ir.Expr) -> list[ir.Expr]:
    """The operands of a top-level ``and`` chain, in order (the condition itself otherwise)."""
    out: list[ir.Expr] = []
    stack = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, ir.And):
            stack.extend(reversed(node.operands))
        else:
            out.append(node)
    return out


def _describe(field: FieldKey) -> str:
    path, ci = field
    dotted = ir.Field(path).dotted
    return f"{dotted} (case-insensitive)" if ci else dotted


def generate(
    predicates: Sequence[ir.Predicate],
    use_index: bool = True,
    router: bool = False,
    programs: bool = False,
) -> tuple[str, dict]:
    """The module source for ``predicates`` and its routing counts (``router``: the module
    defines ``_route_events(events)`` instead of ``_evaluate(events)``; ``programs``: emit
    predicates as programs for the native evaluator where they can be, see :mod:`.program`)."""
    builder = ModuleBuilder(predicates, use_index=use_index, router=router, programs=programs)
    source = builder.build()
    return source, dict(builder.stats)
