"""The examples in the docs run, and every hook is documented in docs/plugins.md."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from kestrel_core import hookspecs

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _blocks(doc: str) -> list[str]:
    return FENCE.findall((ROOT / "docs" / doc).read_text())


@pytest.mark.parametrize("index", range(len(_blocks("api.md"))))
def test_api_md_examples_run(index, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = _blocks("api.md")[index]
    exec(compile(code, f"docs/api.md[{index}]", "exec"), {"__name__": "__docs__"})


def test_every_hook_is_named_in_the_plugin_guide():
    guide = (ROOT / "docs" / "plugins.md").read_text()
    hooks = [n for n in vars(hookspecs) if n.startswith("kestrel_")]
    missing = [h for h in hooks if h not in guide]
    assert not missing, f"docs/plugins.md does not mention {missing}"


def test_readme_links_resolve():
    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / target).exists(), target
    assert os.path.exists(ROOT / "examples" / "kestrel.toml")
