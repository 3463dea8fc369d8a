"""Set one version on every Kestrel distribution: ``python scripts/bump_version.py 0.2.0``.

The version lives in ``VERSION``; this script writes it into every ``pyproject.toml`` (the
distribution's own version and the exact ``==`` pins between Kestrel distributions) and every
package's ``__version__``. ``tests/test_packaging.py`` fails when any of them differ.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PYPROJECTS = [
    "pyproject.toml",
    "kestrel_eql/pyproject.toml",
    "kestrel_wasm/pyproject.toml",
    "kestrel_lua/pyproject.toml",
    "plugins/kestrel-nfa/pyproject.toml",
    "plugins/kestrel-sinks/pyproject.toml",
    "plugins/kestrel-example-sink/pyproject.toml",
]
INIT_FILES = [
    "kestrel_core/__init__.py",
    "kestrel_eql/src/kestrel_eql/__init__.py",
    "kestrel_wasm/src/kestrel_wasm/__init__.py",
    "kestrel_lua/src/kestrel_lua/__init__.py",
    "plugins/kestrel-nfa/src/kestrel_nfa/__init__.py",
    "plugins/kestrel-sinks/src/kestrel_sinks/__init__.py",
]


def bump(version: str) -> None:
    """Write ``version`` everywhere."""
    if not re.fullmatch(r"\d+\.\d+\.\d+([abc]|rc|\.dev|\.post)?\d*", version):
        raise SystemExit(f"not a version: {version!r}")
    (ROOT / "VERSION").write_text(version + "\n")
    for rel in PYPROJECTS:
        path = ROOT / rel
        text = path.read_text()
        text = re.sub(r'(?m)^version = "[^"]+"', f'version = "{version}"', text, count=1)
        text = re.sub(r'"(kestrel-[a-z-]+)==[^"]+"', rf'"\1=={version}"', text)
        path.write_text(text)
    for rel in INIT_FILES:
        path = ROOT / rel
        text = re.sub(r'(?m)^__version__ = "[^"]+"', f'__version__ = "{version}"', path.read_text())
        path.write_text(text)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    bump(sys.argv[1])
