"""Process lineage and other host-decided conditions.

``descendant of [...]``, ``child of [...]`` and ``event of [...]`` need the process tree, and the
array functions (``arraySearch``, ``_arraysearch``) walk nested objects: neither runs inside the
compiled runtimes. :class:`~kestrel_core.lineage.host.HostConditions` gives each runtime a
relaxed condition (those parts replaced by constants that can only widen the match) and decides
the events that pass it on the host, with the reference interpreter and the
:class:`~kestrel_core.lineage.tree.ProcessTree` kept in the state store.
"""

from kestrel_core.lineage.host import HostConditions, needs_host, relax
from kestrel_core.lineage.tree import LINEAGE_RULE, ProcessTree

__all__ = ["LINEAGE_RULE", "HostConditions", "ProcessTree", "needs_host", "relax"]
