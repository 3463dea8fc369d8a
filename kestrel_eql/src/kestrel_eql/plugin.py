"""kestrel-eql's plugin module: the ``eql`` and ``elastic`` rule formats."""

from __future__ import annotations

from kestrel_core import hookimpl
from kestrel_core.types import RuleFormat
from kestrel_eql.rule_files import ElasticFormat, EqlFormat


@hookimpl
def kestrel_rule_formats() -> list[RuleFormat]:
    """Elastic detection-rules TOML first (it claims only files with a ``[rule]`` table)."""
    return [
        RuleFormat(name="elastic", factory=ElasticFormat, extensions=ElasticFormat.extensions),
        RuleFormat(name="eql", factory=EqlFormat, extensions=EqlFormat.extensions),
    ]
