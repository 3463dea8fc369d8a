"""EQL dialects: each one a class naming its analyzer and lowerer (sqlglot's ``dialects/``).

Elasticsearch EQL is the base. A later dialect (Endgame: ``==`` case-insensitive, wildcards in
``==``, lineage, more pipes) subclasses :class:`Elasticsearch` and overrides only what differs.
"""

from __future__ import annotations

from kestrel_eql.analyzer import Analyzer
from kestrel_eql.errors import EqlUnsupportedError
from kestrel_eql.lower import Lowerer


class Elasticsearch:
    """Elasticsearch EQL: the syntax of the grammar, the checks of :class:`Analyzer`, and the
    lowering of :class:`Lowerer`."""

    name = "elasticsearch"
    analyzer: type[Analyzer] = Analyzer
    lowerer: type[Lowerer] = Lowerer


#: Dialects by name.
DIALECTS: dict[str, type[Elasticsearch]] = {Elasticsearch.name: Elasticsearch}


def get_dialect(name: str) -> type[Elasticsearch]:
    """The dialect called ``name`` (case-insensitive); raises :class:`EqlUnsupportedError`."""
    dialect = DIALECTS.get(name.lower())
    if dialect is None:
        raise EqlUnsupportedError(
            f"the EQL dialect '{name}' is not supported yet; known dialects: "
            f"{', '.join(sorted(DIALECTS))}",
            construct=f"dialect {name}",
        )
    return dialect
