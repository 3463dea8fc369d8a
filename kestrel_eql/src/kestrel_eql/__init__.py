"""kestrel-eql: EQL parser, analyzer and compiler for Kestrel.

``parse`` gives the syntax tree (:mod:`kestrel_eql.ast`), ``compile_query`` the Kestrel IR
(:mod:`kestrel_core.ir`); ``to_eql`` prints a tree back as EQL text.
"""

from kestrel_eql.api import check, compile_query, parse
from kestrel_eql.errors import EqlError, EqlSemanticError, EqlSyntaxError, EqlUnsupportedError
from kestrel_eql.printer import to_eql

__version__ = "0.1.0"

__all__ = [
    "EqlError",
    "EqlSemanticError",
    "EqlSyntaxError",
    "EqlUnsupportedError",
    "check",
    "compile_query",
    "parse",
    "to_eql",
]
