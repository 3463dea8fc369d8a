"""State stores: the protocol sequence engines keep their partial matches through, and the
built-in ``memory`` store. See :mod:`kestrel_core.state.api` for the contract."""

from __future__ import annotations

from kestrel_core.state.api import STORE_COUNTERS, Expired, JoinKey, StateStore
from kestrel_core.state.memory import MemoryStore

__all__ = ["STORE_COUNTERS", "Expired", "JoinKey", "MemoryStore", "StateStore"]
