"""kestrel-sinks: alert sinks for Kestrel."""

__version__ = "0.1.0"
