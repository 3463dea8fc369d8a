"""kestrel-sinks: registers the ``stdout`` and ``file`` alert sinks."""

from __future__ import annotations

from kestrel_core import hookimpl
from kestrel_core.types import AlertSink, ConfigOption
from kestrel_sinks.file import FileSink
from kestrel_sinks.stdout import StdoutSink


@hookimpl
def kestrel_alert_sinks() -> list[AlertSink]:
    """The stdout and file sinks."""
    return [
        AlertSink(name="stdout", factory=StdoutSink),
        AlertSink(
            name="file",
            factory=FileSink,
            config=(
                ConfigOption("path", "str", required=True, description="file to append to"),
                ConfigOption("rotate_bytes", "int", 0, "rotate past this size; 0: never"),
                ConfigOption("keep", "int", 5, "rotated files to keep"),
                ConfigOption("fsync", "str", "batch", "never | batch | always"),
                ConfigOption("dedupe", "bool", True, "skip alert ids already in the file"),
            ),
        ),
    ]
