"""The kestrel-sinks plugin module, registered under the ``kestrel`` entry-point group.

Its hook implementations are added as the components of kestrel-sinks are built.
"""
