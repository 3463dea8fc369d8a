"""kestrel-nfa: NFA sequence engine for Kestrel."""

__version__ = "0.1.0"
