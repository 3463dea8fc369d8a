"""kestrel-eql: EQL parser, analyzer and compiler for Kestrel."""

__version__ = "0.1.0"
