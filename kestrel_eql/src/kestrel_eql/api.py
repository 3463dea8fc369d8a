"""The public API of the EQL front end: parse, analyze and compile EQL text.

>>> from kestrel_eql import compile_query
>>> compile_query('process where process.name : "cmd.exe"').body.category
'process'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kestrel_eql import parser
from kestrel_eql.dialects import get_dialect
from kestrel_eql.fold import fold

if TYPE_CHECKING:
    from kestrel_core import ir
    from kestrel_eql import ast


def parse(text: str, *, source: str | None = None) -> ast.Statement:
    """Parse EQL ``text`` into a syntax tree (:class:`kestrel_eql.ast.Statement`).

    Only the syntax is checked. ``source`` (a file name) prefixes error locations. Raises
    :class:`~kestrel_eql.errors.EqlSyntaxError`, whose ``.location`` gives the line and column.
    """
    return parser.parse(text, source=source)


def check(
    text: str, *, source: str | None = None, dialect: str = "elasticsearch"
) -> ast.Statement:
    """Parse and analyze ``text``; return the tree with its constants folded.

    Raises :class:`~kestrel_eql.errors.EqlSyntaxError` or
    :class:`~kestrel_eql.errors.EqlSemanticError` (its subclass
    :class:`~kestrel_eql.errors.EqlUnsupportedError` for constructs Kestrel does not run yet,
    with ``.construct`` naming them).
    """
    rules = get_dialect(dialect)
    statement = parser.parse(text, source=source)
    rules.analyzer(text, source).check(statement)
    return fold(statement, rules.folder)


def compile_query(
    text: str, *, source: str | None = None, dialect: str = "elasticsearch"
) -> ir.Query:
    """Compile EQL ``text`` to a :class:`kestrel_core.ir.Query`.

    Parses, analyzes, folds constants and lowers, following ``dialect`` (``elasticsearch``,
    the default, or ``endgame``). Raises the errors of :func:`check`, all subclasses of
    :class:`kestrel_core.errors.RuleError` carrying ``.location``.
    """
    rules = get_dialect(dialect)
    return rules.lowerer().lower(check(text, source=source, dialect=dialect))
