"""The kestrel-eql plugin module, registered under the ``kestrel`` entry-point group.

Its hook implementations are added as the components of kestrel-eql are built.
"""
