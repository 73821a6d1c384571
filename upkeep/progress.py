"""Progress for long steps: bytes, rows, rate and ETA, shown the way the output can take it.

A workflow reports a ``Meter``'s line through a ``tick`` callback; the CLI's
``Console`` redraws one status line in place on a terminal and prints a plain
line now and then otherwise (a CI log wants a line every few seconds, not a
redraw per megabyte). Step lines (``say``) clear the status line first.

    >>> meter = Meter("database", total=200e6, started=0.0)
    >>> meter.line(50e6, rows=1_250_000, now=5.0)
    'database: 50.0 of ~200.0 MB (25%), 1.25M rows, 10.0 MB/s, ETA 0:15'
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

Tick = Callable[[str], None]


@dataclass
class Meter:
    label: str
    total: float | None = None  # bytes expected, an estimate; None when unknown
    started: float = field(default_factory=time.monotonic)

    def line(self, done: float, rows: int | None = None, now: float | None = None) -> str:
        elapsed = max((now if now is not None else time.monotonic()) - self.started, 1e-9)
        rate = done / elapsed
        parts = [f"{done / 1e6:.1f} MB"]
        if self.total:
            # The total comes from table statistics, so it is shown as an estimate and
            # the percentage stops at 99 until the step says it is done.
            share = min(done / self.total, 0.99)
            parts = [f"{done / 1e6:.1f} of ~{self.total / 1e6:.1f} MB ({share:.0%})"]
        if rows is not None:
            parts.append(f"{_count(rows)} rows")
        parts.append(f"{rate / 1e6:.1f} MB/s")
        if self.total and rate > 0:
            parts.append(f"ETA {_clock(max(self.total - done, 0) / rate)}")
        return f"{self.label}: " + ", ".join(parts)


def _count(rows: int) -> str:
    if rows >= 1_000_000:
        return f"{rows / 1e6:.2f}M"
    if rows >= 10_000:
        return f"{rows / 1e3:.0f}k"
    return str(rows)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Console:
    """Step lines and a status line on ``stream`` (stderr: stdout stays parseable)."""

    def __init__(self, stream: TextIO | None = None, plain_every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty()
        self.plain_every = plain_every
        self._shown = False  # a status line is on screen (terminal only)
        self._last = -float("inf")

    def say(self, message: str) -> None:
        self._clear()
        print(f"  … {message}", file=self.stream, flush=True)

    def tick(self, status: str) -> None:
        now = time.monotonic()
        if self.terminal:
            if now - self._last >= 0.2:
                self._last = now
                self.stream.write(f"\r\x1b[K  … {status}")
                self.stream.flush()
                self._shown = True
        elif now - self._last >= self.plain_every:
            self._last = now
            print(f"  … {status}", file=self.stream, flush=True)

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self._shown = False
