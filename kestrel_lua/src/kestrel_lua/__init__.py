"""kestrel-lua: LuaJIT predicate runtime for Kestrel."""

__version__ = "0.1.0"
