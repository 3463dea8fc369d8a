"""The core's own plugins. They use the public hooks like any third-party plugin.

``kestrel_core.builtins`` is registered under the ``kestrel`` entry-point group as
``kestrel-core``; this module gathers the built-in plugin modules.
"""

from __future__ import annotations

BUILTIN_MODULES: tuple[str, ...] = (
    "kestrel_core.builtins.profiles",
    "kestrel_core.builtins.sources",
    "kestrel_core.builtins.python_runtime",
    "kestrel_core.builtins.state_stores",
)
