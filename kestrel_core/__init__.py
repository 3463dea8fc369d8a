"""Kestrel core: hook specifications, plugin manager, event model, IR and the ``kestrel`` CLI.

Plugin authors import the hook marker from here::

    from kestrel_core import hookimpl

    @hookimpl
    def kestrel_alert_sinks():
        return [AlertSink(name="my_sink", factory=MySink)]
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

#: The version of the plugin API (hook specs and component records) this core implements.
#: A component declares the API version it was built for; a mismatch in the major number is
#: reported by ``kestrel plugins list`` and refused at engine assembly.
PLUGIN_API_VERSION = "1.0"

PROJECT_NAME = "kestrel"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["PLUGIN_API_VERSION", "PROJECT_NAME", "__version__", "hookimpl", "hookspec"]
