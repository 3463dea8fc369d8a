"""EQL dialects: each one a class naming its analyzer, folder and lowerer (sqlglot's
``dialects/``).

Elasticsearch EQL is the base. Endgame EQL (the ``eql`` package, eqllib) subclasses it and
overrides only what differs; the differences are listed in :mod:`kestrel_eql.endgame`.
"""

from __future__ import annotations

from kestrel_eql.analyzer import Analyzer
from kestrel_eql.endgame import EndgameAnalyzer, EndgameFolder, EndgameLowerer
from kestrel_eql.errors import EqlUnsupportedError
from kestrel_eql.fold import Folder
from kestrel_eql.lower import Lowerer


class Elasticsearch:
    """Elasticsearch EQL: the syntax of the grammar, the checks of :class:`Analyzer`, the
    folding of :class:`Folder` and the lowering of :class:`Lowerer`."""

    name = "elasticsearch"
    analyzer: type[Analyzer] = Analyzer
    folder: type[Folder] = Folder
    lowerer: type[Lowerer] = Lowerer


class Endgame(Elasticsearch):
    """Endgame EQL (the ``eql`` package, eqllib analytics): see :mod:`kestrel_eql.endgame`."""

    name = "endgame"
    analyzer = EndgameAnalyzer
    folder = EndgameFolder
    lowerer = EndgameLowerer


#: Dialects by name.
DIALECTS: dict[str, type[Elasticsearch]] = {d.name: d for d in (Elasticsearch, Endgame)}


def get_dialect(name: str) -> type[Elasticsearch]:
    """The dialect called ``name`` (case-insensitive); raises :class:`EqlUnsupportedError`."""
    dialect = DIALECTS.get(name.lower())
    if dialect is None:
        raise EqlUnsupportedError(
            f"the EQL dialect '{name}' is not supported; known dialects: "
            f"{', '.join(sorted(DIALECTS))}",
            construct=f"dialect {name}",
        )
    return dialect
