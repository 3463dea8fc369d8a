"""kestrel-nfa: the NFA sequence engine for Kestrel (sequence, until, maxspan, runs, missing
events, sample). The engine is :class:`kestrel_nfa.engine.NfaEngine`; matches are
:class:`kestrel_nfa.match.Match`."""

from __future__ import annotations

from kestrel_nfa.engine import NfaEngine
from kestrel_nfa.match import Match

__version__ = "0.1.0"

__all__ = ["Match", "NfaEngine", "__version__"]
