"""Events: the model, field lookup, schema profiles, timestamps and decoders."""

from kestrel_core.events.fields import lookup
from kestrel_core.events.model import Event

__all__ = ["Event", "lookup"]
