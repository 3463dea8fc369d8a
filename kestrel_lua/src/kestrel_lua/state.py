"""Lua states: a LuaJIT interpreter with lupa's Python bridge closed and the library loaded."""

from __future__ import annotations

from importlib import resources
from typing import Any, NoReturn

import lupa.luajit21 as lupa


def _deny(obj: Any, name: Any, setting: bool) -> NoReturn:
    """lupa attribute filter: Lua code may not touch any attribute of a Python object."""
    raise AttributeError("Python attributes are not accessible from Lua")


def lua_source(name: str) -> str:
    """The text of a Lua file shipped in this package."""
    return resources.files("kestrel_lua").joinpath(name).read_text(encoding="utf-8")


def new_state(max_memory: int | None = None) -> Any:
    """A fresh LuaJIT state: no ``python.eval``, no builtins, attribute access denied, the
    ``python`` global removed, optionally with a memory cap in bytes."""
    kwargs: dict[str, Any] = {
        "register_eval": False,
        "register_builtins": False,
        "unpack_returned_tuples": True,
        "attribute_filter": _deny,
    }
    if max_memory is not None:
        kwargs["max_memory"] = max_memory
    rt = lupa.LuaRuntime(**kwargs)
    rt.execute("python = nil; package.loaded.python = nil")
    return rt


def load_library(rt: Any, host: Any) -> Any:
    """Load ``lib.lua`` into ``rt`` with the host callback table; returns the library table."""
    chunk = rt.eval("function(text) return assert(loadstring(text, '=kestrel/lib.lua')) end")(
        lua_source("lib.lua")
    )
    return chunk(host)
