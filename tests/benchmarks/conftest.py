"""Make the repository's ``benchmarks`` package importable under a bare ``pytest`` too.

``python -m pytest`` (the README's command) puts the repository root on ``sys.path``; the
``pytest`` script does not, and ``benchmarks/`` is not an installed distribution.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
