"""kestrel-wasm: WebAssembly predicate runtime for Kestrel."""

__version__ = "0.1.0"
