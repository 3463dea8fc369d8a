"""The kestrel-wasm plugin module, registered under the ``kestrel`` entry-point group.

Its hook implementations are added as the components of kestrel-wasm are built.
"""
