"""Assembles the generated module of a rule set: constants, predicate code, dispatch, main loop.

Layout of the generated source (read it with ``kestrel compile --emit python``)::

    _R0 = _regex('...', False)              # constants: patterns, sets, automata
    def _pred_17(f, e, h, V): ...            # one routed predicate
    def _scan_0_0(f, e, h, V): ...           # a chunk of scanned predicates
    def _route_0_3(kv2, kl3): ...            # the candidates of one field's string value
    _E0_0 = {'c:\\x.exe': ((_pred_17, 2),)}  # routing tables (see .index), automata, caches
    def _cat_0(f, e, h): ...                 # per category: load the routed fields, route
    def _evaluate(events): ...               # the batch loop

A category function loads the fields its routing reads (``kv*``, lowercased ``kl*``) once and
collects the *candidates*: the predicates one of whose atoms holds (equality, basename and
last-character tables, one Aho-Corasick pass per field for the required literals, the presence
of a field). A string's candidates are computed once per distinct value and cached. Then:

* **split**: the predicates that need the field most predicates need (``CommandLine`` in a
  process-creation rule set) are routed only when that field is present;
* **presence mask**: each candidate carries the bits of the fields it needs (non-null whenever
  it is true); it is called only when the event has them all.

Each remaining candidate is called once with the loaded values in the tuple ``V``; a predicate
function loads the other fields it needs and appends its id to ``h`` when its condition is
true. Every call is made inside ``try``: an exception is counted as a fault and drops that
function's hits for that event only. ``_COUNTS[0]`` counts the predicates evaluated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from kestrel_core import ir
from kestrel_core.errors import CompileError
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

#: Scanned predicates per generated function, so no function grows without bound.
CHUNK = 50
#: At most this many fields make up the presence mask candidates are checked against.
MASK_FIELDS = 24
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
    """Statements loading field ``path`` into ``var`` with the semantics of ``lookup``."""
    if len(path) == 1 and isinstance(path[0], str):
        return [f"{var} = f.get({path[0]!r})"]
    if not all(isinstance(seg, str) for seg in path):
        return [f"{var} = _lookup(f, {path!r})"]
    flat = ".".join(path)  # type: ignore[arg-type]
    lines = [f"{var} = f.get({flat!r}, _M)", f"if {var} is _M:"]
    if len(path) == 2:
        # No flat key: nested objects (or a list of them, which lookup collects).
        lines += [
            f"    {var} = f.get({path[0]!r})",
            f"    if type({var}) is dict:",
            f"        {var} = {var}.get({path[1]!r})",
            f"    elif {var} is not None:",
            f"        {var} = _lookup(f, {path!r})",
        ]
    else:
        lines.append(f"    {var} = _lookup(f, {path!r})")
    return lines


def lower_line(name: str, raw: str) -> str:
    """The statement lowercasing ``raw`` into ``name`` (strings, and the strings of lists)."""
    return f"{name} = {raw}.lower() if type({raw}) is str else ({raw} and _lower({raw}))"


class Scope:
    """The locals of one generated function: field loads, lowercased copies, hoisted tests.

    ``given`` maps (path, lowered) to the names of values the caller already loaded; the
    function reads the ones it uses (:attr:`used`) from the tuple ``V``.
    """

    def __init__(
        self, given: dict[tuple[tuple, bool], str] | None = None, prefix: str = ""
    ) -> None:
        self.given = dict(given or {})
        self.prefix = prefix
        self.names: dict[tuple[tuple, bool], str] = {}
        self.used: dict[str, None] = {}
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
        if key in self.given:
            name = self.given[key]
            self.used[name] = None
            return name
        if key not in self.names:
            raw = self.field(path) if lowered else None
            name = f"{self.prefix}{'l' if lowered else 'v'}{len(self.names)}"
            self.names[key] = name
            if lowered:
                self.loads.append(lower_line(name, raw))  # type: ignore[arg-type]
            else:
                self.loads.extend(load_lines(name, path))
        return self.names[key]

    def hoist(self, true_src: str, false_src: str) -> tuple[str, str]:
        """Compute a deep sub-condition's two forms into locals before the test."""
        n = self.hoists = self.hoists + 1
        self.prelude += [f"t{n} = {true_src}", f"u{n} = {false_src}"]
        return f"t{n}", f"u{n}"


class ModuleBuilder:
    """Builds the source of the module for a rule set."""

    def __init__(self, predicates: Sequence[ir.Predicate], use_index: bool = True) -> None:
        self.predicates = list(predicates)
        self.plans = plan(self.predicates, use_index=use_index)
        self.consts = ConstPool()
        self.functions: list[str] = []
        self.tables: list[str] = []
        self.stats: dict[str, int] = {
            "indexed": 0, "prefiltered": 0, "guarded": 0, "scanned": 0, "never": 0,
        }

    # -- predicate code -----------------------------------------------------------------------

    def _function(
        self, name: str, given: dict, slots: dict[str, int], preds: Sequence[ir.Predicate],
        doc: str,
    ) -> None:
        scope = Scope(given)
        body: list[str] = []
        for p in preds:
            gen = ExprGenerator(self.consts, scope)
            try:
                test = gen.true(p.condition)
            except CompileError as exc:
                raise CompileError(f"rule {p.rule_id!r} step {p.step}: {exc}") from exc
            except RecursionError as exc:
                raise CompileError(f"rule {p.rule_id!r} step {p.step}: condition too deep") from exc
            body.append(f"# rule {p.rule_id!r} step {p.step} (predicate {p.id})")
            body += scope.prelude
            scope.prelude = []
            body += [f"if {test}:", f"    h.append({p.id})"]
        unpack = [f"{n} = V[{slots[n]}]" for n in sorted(scope.used, key=slots.__getitem__)]
        lines = [f"def {name}(f, e, h, V):", f"    {doc!r}"]
        lines += ["    " + line for line in unpack + scope.loads + body]
        self.functions.append("\n".join(lines))

    # -- per category -------------------------------------------------------------------------

    def _category(self, index: int, cat: CategoryPlan) -> str:
        routed = cat.routed()
        # Presence mask: the fields candidates most often need; a candidate is called only
        # when every one of its needed fields (of these) is non-null.
        counts = Counter(path for p in routed for path in cat.needs[p.id])
        mask_fields = sorted(counts, key=lambda path: (-counts[path], repr(path)))[:MASK_FIELDS]
        bits = {path: 1 << n for n, path in enumerate(mask_fields)}
        # Split: the predicates that need the most needed field are routed only when it is
        # present (a process-creation rule set skips its command-line tables on other events).
        split = mask_fields[0] if mask_fields else None
        first = [p for p in routed if split in cat.needs[p.id]]
        rest = [p for p in routed if split not in cat.needs[p.id]]
        groups = [(first, split), (rest, None)] if first else [(rest, None)]

        def fields_of(preds: list[ir.Predicate]) -> list[FieldKey]:
            keys: list[FieldKey] = []
            for p in preds:
                for atom in sorted(cat.routes[p.id] or (), key=repr):
                    keys.append(atom.field if atom.kind != PRESENT else (atom.path, False))
            return list(dict.fromkeys(keys))

        hot_scope = Scope(prefix="k")
        given: dict[tuple[tuple, bool], str] = {}

        def load(keys: list[FieldKey]) -> None:
            for path, ci in keys:
                given[(path, False)] = hot_scope.field(path)
                if ci:
                    given[(path, True)] = hot_scope.lowered(path)

        group_fields = [fields_of(preds) for preds, _guard in groups]
        for keys in group_fields:
            load(keys)
        load([(path, False) for path in mask_fields])
        names = list(dict.fromkeys(given.values()))
        slots = {name: n for n, name in enumerate(names)}
        label = "any" if cat.category is None else repr(cat.category)
        for p in cat.routes:
            self.stats[cat.kind_of(p)] += 1

        funcs: dict[int, str] = {}
        for p in routed:
            need = sum(bits.get(path, 0) for path in cat.needs[p.id])
            funcs[p.id] = f"(_pred_{p.id}, {need})"
            self._function(f"_pred_{p.id}", given, slots, [p], f"{label}: routed")

        body = [*hot_scope.loads, "c = []"]
        for (preds, guard), keys in zip(groups, group_fields, strict=True):
            route = self._route(index, cat, preds, keys, given, funcs)
            if guard is None:
                body += route
            elif route:
                body += [f"if {given[(guard, False)]} is not None:"]
                body += ["    " + line for line in route]
        mask = ["m = 0"]
        mask += [f"if {given[(path, False)]} is not None:\n    m |= {bits[path]}"
                 for path in mask_fields]

        calls: list[str] = []
        for start in range(0, len(cat.scanned), CHUNK):
            name = f"_scan_{index}_{start // CHUNK}"
            chunk = cat.scanned[start : start + CHUNK]
            self._function(name, given, slots, chunk, f"{label}: evaluated for every event")
            calls += [
                "n = len(h)",
                "try:",
                f"    {name}(f, e, h, V)",
                "except Exception as x:",
                "    del h[n:]",
                f"    _fault({name!r}, x)",
            ]
        scanned = len(cat.scanned)
        tuple_src = "(" + "".join(n + ", " for n in names) + ")"
        body += [f"V = {tuple_src}"] if calls else []
        body += calls
        body += ["if not c:", f"    return {scanned}", *mask]
        if not calls:
            body.append(f"V = {tuple_src}")
        body += [
            "if len(c) > 1:",
            "    c = set(c)",
            "n = 0",
            "for b, need in c:",
            "    if m & need == need:",
            "        n += 1",
            "        try:",
            "            b(f, e, h, V)",
            "        except Exception as x:",
            "            _fault(b.__name__, x)",
            f"return n + {scanned}",
        ]
        doc = f"category {label}: {cat.size} predicates"
        lines = [f"def _cat_{index}(f, e, h):", f"    {doc!r}"]
        lines += ["    " + line for line in "\n".join(body).split("\n")]
        self.functions.append("\n".join(lines))
        return f"_cat_{index}"

    def _route(
        self, index: int, cat: CategoryPlan, preds: list[ir.Predicate], keys: list[FieldKey],
        given: dict, funcs: dict[int, str],
    ) -> list[str]:
        """The statements adding to ``c`` the candidates among ``preds`` whose atoms hold."""
        tables: dict[tuple[str, FieldKey], dict[Any, list[int]]] = {}
        present: dict[tuple, list[int]] = {}
        for p in preds:
            for atom in cat.routes[p.id] or ():
                if atom.kind == PRESENT:
                    present.setdefault(atom.path, []).append(p.id)
                else:
                    table = tables.setdefault((atom.kind, atom.field), {})
                    table.setdefault(atom.value, []).append(p.id)

        def entry(value: Any, pids: list[int]) -> str:
            found = "".join(funcs[i] + ", " for i in sorted(set(pids)))
            return f"    {py_literal(value)}: ({found}),"

        route: list[str] = []
        for path in dict.fromkeys(path for path, _ci in keys):
            raw = given[(path, False)]
            block: list[str] = []
            strings: list[str] = []
            lists: list[str] = []
            params: list[str] = []
            for ci in (False, True):
                field = (path, ci)
                key = given.get(field)
                if key is None:
                    continue
                params.append(key)
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
            if strings:
                # A string's candidates are computed once per distinct value and cached (the
                # same images, DLLs and companies recur in every event stream).
                n = len(self.tables)
                cache, router = f"_K{index}_{n}", f"_route_{index}_{n}"
                self.tables.append(f"{cache} = {{}}")
                args = ", ".join(dict.fromkeys(params))
                self.functions.append("\n".join([
                    f"def {router}({args}):",
                    f"    {f'the candidates routed on {ir.Field(path).dotted}'!r}",
                    "    c = []",
                    *("    " + line for line in strings),
                    "    c = tuple(c)",
                    f"    if len({cache}) >= {ROUTE_CACHE}:",
                    f"        {cache}.clear()",
                    f"    {cache}[{raw}] = c",
                    "    return c",
                ]))
                block += [
                    f"    if type({raw}) is str:",
                    f"        t = {cache}.get({raw})",
                    "        if t is None:",
                    f"            t = {router}({args})",
                    "        c += t",
                    "    else:",
                    *("        " + line for line in lists),
                ]
            if path in present:
                name = f"_P{index}_{len(self.tables)}"
                pids = sorted(set(present[path]))
                self.tables.append(f"{name} = ({''.join(funcs[i] + ', ' for i in pids)})")
                block += [f"    # {_describe((path, False))} is present", f"    c += {name}"]
            if block:
                route += [f"if {raw} is not None:", *block]
        return route

    # -- the module ---------------------------------------------------------------------------

    def build(self) -> str:
        """The module's source text."""
        categories = {}
        any_function = None
        for index, cat in enumerate(self.plans):
            name = self._category(index, cat)
            if cat.category is None:
                any_function = name
            else:
                categories[cat.category] = name
        cats = "".join(f"    {c!r}: {n},\n" for c, n in categories.items())
        loop = [
            "def _evaluate(events):",
            "    'Every (event index, predicate id) whose condition is true.'",
            "    out = []",
            "    evaluated = 0",
            "    for i, e in enumerate(events):",
            "        f = e.fields",
            "        h = []",
        ]
        if categories:
            loop += [
                "        cats = e.categories",
                "        for c in (cats if len(cats) < 2 else dict.fromkeys(cats)):",
                "            fn = _CATS.get(c)",
                "            if fn is not None:",
                "                n = len(h)",
                "                try:",
                "                    evaluated += fn(f, e, h)",
                "                except Exception as x:",
                "                    del h[n:]",
                "                    _fault(fn.__name__, x)",
            ]
        if any_function:
            loop += [
                "        n = len(h)",
                "        try:",
                f"            evaluated += {any_function}(f, e, h)",
                "        except Exception as x:",
                "            del h[n:]",
                f"            _fault({any_function!r}, x)",
            ]
        loop += [
            "        if h:",
            "            if len(h) > 1:",
            "                h = sorted(set(h))",
            "            for p in h:",
            "                out.append((i, p))",
            "    _COUNTS[0] += evaluated",
            "    return out",
        ]
        header = [
            f"# Generated by kestrel_core.runtime.python: {len(self.predicates)} predicates,",
            f"# {self.stats['indexed']} indexed, {self.stats['prefiltered']} prefiltered, "
            f"{self.stats['guarded']} guarded, {self.stats['scanned']} scanned, "
            f"{self.stats['never']} never true.",
        ]
        parts = [
            "\n".join(header),
            "\n".join(self.consts.lines()),
            *self.functions,
            "\n".join(self.tables),
            "_CATS = {\n" + cats + "}\n_COUNTS = [0]",
            "\n".join(loop),
        ]
        return "\n\n\n".join(p for p in parts if p) + "\n"


def _describe(field: FieldKey) -> str:
    path, ci = field
    dotted = ir.Field(path).dotted
    return f"{dotted} (case-insensitive)" if ci else dotted


def generate(predicates: Sequence[ir.Predicate], use_index: bool = True) -> tuple[str, dict]:
    """The module source for ``predicates`` and its routing counts."""
    builder = ModuleBuilder(predicates, use_index=use_index)
    source = builder.build()
    return source, dict(builder.stats)
