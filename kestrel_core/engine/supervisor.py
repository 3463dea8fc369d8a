"""Signals, periodic stats and the progress bar around a running engine (``kestrel run``).

* SIGINT / SIGTERM: stop reading, drain what was read, flush the sinks, checkpoint the state;
  a second signal exits at once (exit code 130).
* SIGUSR1: print the stats JSON to stderr now.
* SIGHUP: reload the rules (load and compile aside, swap if all are good).
* ``stats_interval`` > 0: print the stats JSON to stderr every that many seconds.
* ``progress``: a rich progress line with events, events/s and alerts.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Any

from kestrel_core.engine.engine import stats_json


class Supervisor:
    """Context manager installing the handlers and the reporting thread for one run."""

    def __init__(self, engine: Any, stats_interval: float = 0, progress: bool = False) -> None:
        self.engine = engine
        self.stats_interval = stats_interval
        self.progress = progress
        self.signals = 0
        self._done = threading.Event()
        self._threads: list[threading.Thread] = []
        self._previous: dict[int, Any] = {}

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        if self.signals > 1:
            os._exit(130)
        name = signal.Signals(signum).name
        print(f"kestrel: {name}: stopping (send it again to exit at once)", file=sys.stderr)
        self.engine.stop()

    def _on_usr1(self, signum: int, frame: FrameType | None) -> None:
        self._print_stats()

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self.engine.request_reload()

    def _print_stats(self) -> None:
        try:
            sys.stderr.buffer.write(stats_json(self.engine.stats()) + b"\n")
            sys.stderr.flush()
        except Exception as exc:  # stats while the engine changes: never crash the run
            print(f"kestrel: stats unavailable: {exc}", file=sys.stderr)

    def _stats_loop(self) -> None:
        while not self._done.wait(self.stats_interval):
            self._print_stats()

    def _progress_loop(self) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (
            SpinnerColumn(),
            TextColumn("{task.fields[events]:>10,} events"),
            TextColumn("{task.fields[rate]:>9,.0f} events/s"),
            TextColumn("{task.fields[alerts]:>6,} alerts"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, transient=True) as bar:
            task = bar.add_task("run", events=0, rate=0.0, alerts=0, total=None)
            while not self._done.wait(0.25):
                stats = self.engine.input_stats
                elapsed = max(self.engine.stats_elapsed(), 1e-9)
                bar.update(
                    task,
                    events=stats.received,
                    rate=stats.received / elapsed,
                    alerts=self.engine.alerts_total,
                )

    def __enter__(self) -> Supervisor:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._on_stop)
            if hasattr(signal, "SIGUSR1"):
                self._previous[signal.SIGUSR1] = signal.signal(signal.SIGUSR1, self._on_usr1)
                self._previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._on_hup)
        if self.stats_interval > 0:
            self._threads.append(threading.Thread(target=self._stats_loop, daemon=True))
        if self.progress:
            self._threads.append(threading.Thread(target=self._progress_loop, daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
