"""``python -m kestrel_core`` runs the ``kestrel`` command."""

from kestrel_core.cli.main import main

main()
