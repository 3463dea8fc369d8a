"""Assembles the generated module of a rule set: constants, predicate code, dispatch, main loop.

Layout of the generated source (read it with ``kestrel compile --emit python``)::

    _R0 = _regex('...', False)            # constants: patterns, sets, automata
    def _scan_0_0(f, e, h, v0, l0): ...    # straight-line code for a chunk of predicates
    def _bucket_0_3(f, e, h, v0, l0): ...  # the predicates filed under one index value
    def _pred_17(f, e, h, v0, l0): ...     # one prefiltered predicate
    def _cat_0(f, e, h): ...               # per category: load the dispatch fields, route
    _D0_0 = {'cmd.exe': (_bucket_0_3,)}    # index tables and automata
    def _evaluate(events): ...             # the batch loop

Every function of a category receives the category's dispatch fields (``v*``, lowercased
``l*``) already loaded, loads the other fields it needs once, and appends the ids of the
predicates that are true to ``h``. A category function calls each chunk inside ``try``: an
exception is counted as a fault and drops that chunk's hits for that event only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kestrel_core import ir
from kestrel_core.errors import CompileError
from kestrel_core.runtime.python.generator import ExprGenerator, py_literal
from kestrel_core.runtime.python.index import CategoryPlan, FieldKey, plan

#: Predicates per generated function, so no function grows without bound.
CHUNK = 50


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


class Scope:
    """The locals of one generated function: field loads, lowercased copies, hoisted tests.

    ``given`` maps (path, lowered) to the parameter names the caller passes in.
    """

    def __init__(
        self, given: dict[tuple[tuple, bool], str] | None = None, prefix: str = ""
    ) -> None:
        self.given = dict(given or {})
        self.prefix = prefix
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
        if key in self.given:
            return self.given[key]
        if key not in self.names:
            raw = self.field(path) if lowered else None
            name = f"{self.prefix}{'l' if lowered else 'v'}{len(self.names)}"
            self.names[key] = name
            if lowered:
                self.loads.append(
                    f"{name} = {raw}.lower() if type({raw}) is str else _lower({raw})"
                )
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
        self.stats: dict[str, int] = {"indexed": 0, "prefiltered": 0, "scanned": 0}

    # -- predicate code -----------------------------------------------------------------------

    def _function(
        self, name: str, params: str, given: dict, preds: Sequence[ir.Predicate], doc: str
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
        lines = [f"def {name}({params}):", f"    {doc!r}"]
        lines += ["    " + line for line in scope.loads + body]
        self.functions.append("\n".join(lines))

    def _chunks(
        self, base: str, params: str, given: dict, preds: list[ir.Predicate], doc: str
    ) -> list[str]:
        names = []
        for start in range(0, len(preds), CHUNK):
            name = f"{base}_{start // CHUNK}" if len(preds) > CHUNK else base
            chunk = preds[start : start + CHUNK]
            self._function(name, params, given, chunk, doc)
            names.append(name)
        return names

    # -- per category -------------------------------------------------------------------------

    def _category(self, index: int, cat: CategoryPlan) -> str:
        hot = cat.hot_fields()
        given: dict[tuple[tuple, bool], str] = {}
        hot_scope = Scope(prefix="k")
        for path, ci in hot:
            given[(path, False)] = hot_scope.field(path)
            if ci:
                given[(path, True)] = hot_scope.lowered(path)
        params = "f, e, h" + "".join(", " + name for name in dict.fromkeys(given.values()))
        args = params
        label = "any" if cat.category is None else repr(cat.category)
        calls: list[str] = []

        def guarded(call: str, name: str) -> list[str]:
            return [
                "n = len(h)",
                "try:",
                f"    {call}",
                "except Exception as x:",
                "    del h[n:]",
                f"    _fault({name}, x)",
            ]

        if cat.scanned:
            doc = f"{label}: predicates evaluated for every event"
            for name in self._chunks(f"_scan_{index}", params, given, cat.scanned, doc):
                calls += guarded(f"{name}({args})", repr(name))
            self.stats["scanned"] += len(cat.scanned)

        for table_no, (field, table) in enumerate(cat.indexed.items()):
            table_name = f"_D{index}_{table_no}"
            numbers_name = f"_N{index}_{table_no}"
            self._table(index, table_no, params, given, field, table, table_name, numbers_name)
            key = given[(field[0], field[1])]
            calls += [
                f"# index: {_describe(field)}",
                f"for b in ({table_name}.get({key}, ()) if type({key}) is str "
                f"else _dispatch({table_name}, {numbers_name}, {key})):",
            ]
            calls += ["    " + line for line in guarded(f"b({args})", "b.__name__")]

        for auto_no, (field, table) in enumerate(cat.prefiltered.items()):
            auto_name = f"_A{index}_{auto_no}"
            self._automaton(index, auto_no, params, given, field, table, auto_name)
            key = given[(field[0], field[1])]
            calls += [
                f"# prefilter: {_describe(field)} contains a required literal",
                f"for b in _candidates({auto_name}, {key}):",
            ]
            calls += ["    " + line for line in guarded(f"b({args})", "b.__name__")]

        name = f"_cat_{index}"
        doc = f"category {label}: {cat.size} predicates"
        lines = [f"def {name}(f, e, h):", f"    {doc!r}"]
        lines += ["    " + line for line in hot_scope.loads + calls]
        self.functions.append("\n".join(lines))
        return name

    def _table(
        self, index: int, table_no: int, params: str, given: dict, field: FieldKey,
        table: dict[Any, list[ir.Predicate]], table_name: str, numbers_name: str,
    ) -> None:
        groups: dict[tuple[int, ...], list[str]] = {}
        strings: list[str] = []
        numbers: list[str] = []
        for value, preds in table.items():
            ids = tuple(sorted(p.id for p in preds))
            if ids not in groups:
                base = f"_bucket_{index}_{table_no}_{len(groups)}"
                doc = f"{_describe(field)} == {value!r}"
                groups[ids] = self._chunks(base, params, given, sorted(preds, key=_id), doc)
            entry = f"    {py_literal(value)}: ({''.join(n + ', ' for n in groups[ids])}),"
            (strings if type(value) is str else numbers).append(entry)
        self.stats["indexed"] += len({p.id for preds in table.values() for p in preds})
        self.tables += [f"{table_name} = {{", *strings, "}"]
        self.tables += [f"{numbers_name} = {{", *numbers, "}"]

    def _automaton(
        self, index: int, auto_no: int, params: str, given: dict, field: FieldKey,
        table: dict[str, list[ir.Predicate]], auto_name: str,
    ) -> None:
        done: dict[int, str] = {}
        entries = []
        for literal, preds in table.items():
            names = []
            for p in sorted(preds, key=_id):
                if p.id not in done:
                    done[p.id] = f"_pred_{p.id}"
                    doc = f"prefiltered on {_describe(field)}"
                    self._function(done[p.id], params, given, [p], doc)
                names.append(done[p.id])
            entries.append(f"    {literal!r}: ({''.join(n + ', ' for n in names)}),")
        self.stats["prefiltered"] += len(done)
        self.tables += [f"{auto_name} = _automaton({{", *entries, "})"]

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
            "    for i, e in enumerate(events):",
            "        f = e.fields",
            "        h = []",
            "        cats = e.categories",
            "        for c in (cats if len(cats) < 2 else dict.fromkeys(cats)):",
            "            fn = _CATS.get(c)",
            "            if fn is not None:",
            "                n = len(h)",
            "                try:",
            "                    fn(f, e, h)",
            "                except Exception as x:",
            "                    del h[n:]",
            "                    _fault(fn.__name__, x)",
        ]
        if any_function:
            loop += [
                "        n = len(h)",
                "        try:",
                f"            {any_function}(f, e, h)",
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
            "    return out",
        ]
        header = [
            f"# Generated by kestrel_core.runtime.python: {len(self.predicates)} predicates,",
            f"# {self.stats['indexed']} indexed, {self.stats['prefiltered']} prefiltered, "
            f"{self.stats['scanned']} scanned.",
        ]
        parts = [
            "\n".join(header),
            "\n".join(self.consts.lines()),
            *self.functions,
            "\n".join(self.tables),
            "_CATS = {\n" + cats + "}",
            "\n".join(loop),
        ]
        return "\n\n\n".join(p for p in parts if p) + "\n"


def _id(p: ir.Predicate) -> int:
    return p.id


def _describe(field: FieldKey) -> str:
    path, ci = field
    dotted = ir.Field(path).dotted
    return f"{dotted} (case-insensitive)" if ci else dotted


def generate(predicates: Sequence[ir.Predicate], use_index: bool = True) -> tuple[str, dict]:
    """The module source for ``predicates`` and its routing counts."""
    builder = ModuleBuilder(predicates, use_index=use_index)
    source = builder.build()
    return source, dict(builder.stats)
