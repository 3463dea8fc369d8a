"""Fixtures of the kestrel-wasm tests: one runtime (and engine) per test module."""

from __future__ import annotations

import pytest

from kestrel_wasm.runtime import WasmRuntime


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> WasmRuntime:
    return WasmRuntime(cache_dir=str(tmp_path_factory.mktemp("wasm-cache")))
