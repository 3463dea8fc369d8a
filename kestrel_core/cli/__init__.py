"""The ``kestrel`` command line: one module per command."""
