"""Exceptions with the exit codes the CLI maps them to."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class KestrelError(Exception):
    """Base of Kestrel's errors. ``exit_code`` is what the CLI exits with."""

    exit_code = EXIT_FAILURE


class ConfigError(KestrelError):
    """A configuration is invalid or names a component that is not available."""

    exit_code = EXIT_USAGE


class PluginError(KestrelError):
    """A plugin failed to load or register, or two plugins conflict."""

    exit_code = EXIT_USAGE


class SourceLocation:
    """Where in a text something is: 1-based line and column, with the text to point into."""

    __slots__ = ("column", "end_column", "file", "line", "text")

    def __init__(
        self,
        line: int,
        column: int,
        text: str | None = None,
        file: str | None = None,
        end_column: int | None = None,
    ) -> None:
        self.line = line
        self.column = column
        self.text = text
        self.file = file
        self.end_column = end_column

    def caret(self) -> str:
        """The offending source line with a caret (or underline) beneath the column."""
        if self.text is None:
            return ""
        lines = self.text.splitlines() or [""]
        if not 1 <= self.line <= len(lines):
            return ""
        src = lines[self.line - 1].expandtabs(1)
        width = 1
        if self.end_column and self.end_column > self.column:
            width = self.end_column - self.column
        return f"{src}\n{' ' * (self.column - 1)}{'^' * width}"

    def __str__(self) -> str:
        where = f"{self.file}:" if self.file else ""
        return f"{where}{self.line}:{self.column}"


class LocatedError(KestrelError):
    """An error at a place in a text (a query, a rule file, a config file)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, location: SourceLocation | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        out = f"{self.location}: {self.message}"
        caret = self.location.caret()
        return f"{out}\n{caret}" if caret else out


class RuleError(LocatedError):
    """A rule could not be parsed, analyzed or loaded."""


class CompileError(KestrelError):
    """A runtime could not compile a predicate."""

    exit_code = EXIT_USAGE


class RuleSkipped(KestrelError):
    """A rule file is valid but not for Kestrel (e.g. an Elastic rule in KQL); counted, not an
    error. ``reason`` groups the counts."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
