"""The errors of the EQL front end, each located at the offending text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kestrel_core.errors import RuleError, SourceLocation

if TYPE_CHECKING:
    from kestrel_eql.ast import Span


class EqlError(RuleError):
    """Base of the EQL front end's errors; ``location`` says where (line, column, caret)."""


class EqlSyntaxError(EqlError):
    """The text is not EQL: an unexpected token or character."""


class EqlSemanticError(EqlError):
    """The query parses but is wrong: an unknown function, a bad argument, an invalid regex..."""


class EqlUnsupportedError(EqlSemanticError):
    """The query uses a construct Kestrel does not support (yet); ``construct`` names it."""

    def __init__(
        self, message: str, location: SourceLocation | None = None, *, construct: str
    ) -> None:
        super().__init__(message, location)
        self.construct = construct


def locate(span: Span | None, text: str | None, source: str | None) -> SourceLocation | None:
    """A :class:`SourceLocation` for a node's span, underlining it when it fits on one line."""
    if span is None:
        return None
    end = span.end_column if span.end_line == span.line else None
    return SourceLocation(span.line, span.column, text=text, file=source, end_column=end)
