"""Progress for long steps: bytes, rows, rate and ETA, shown the way the output can take it.

A workflow reports a ``Meter``'s line through a ``tick`` callback; the CLI's
``Console`` redraws one status line in place on a terminal and prints a plain
line now and then otherwise (a CI log wants a line every few seconds, not a
redraw per megabyte). Step lines (``say``) clear the status line first.

Progress goes out only where someone reads it: on a terminal, or when asked
(``upkeep --progress`` or ``UPKEEP_PROGRESS=1``, for CI logs). A cron job or a
monitoring system that merges the streams gets only the command's output, and
a Nagios plugin's run (``check --nagios``) is muted even when progress is asked.

    >>> meter = Meter("database", total=200e6, started=0.0)
    >>> meter.line(50e6, rows=1_250_000, now=5.0)
    'database: 50.0 of ~200.0 MB (25%), 1.25M rows, 10.0 MB/s, ETA 0:15'
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from upkeep.errors import UsageError

Tick = Callable[[str], None]

VARIABLE = "UPKEEP_PROGRESS"
_ASKED = {"1": True, "0": False, "": None}


@dataclass
class _Policy:
    """Whether progress goes out: None decides by the stream (a terminal or not)."""

    asked: bool | None = None
    muted: bool = False


_policy = _Policy()


def configure(flag: bool, environ: Mapping[str, str] = os.environ, *, muted: bool = False) -> None:
    """Set for one command by the CLI: ``--progress`` (``flag``) or ``UPKEEP_PROGRESS``.

    ``UPKEEP_PROGRESS=1`` forces progress on, ``0`` off even on a terminal; unset
    or empty leaves it to the terminal. Anything else is refused, naming the variable.
    ``muted`` (a Nagios plugin's run) wins over both, and the variable is not read.

    >>> import io
    >>> configure(False, {"UPKEEP_PROGRESS": "1"}); wanted(io.StringIO())  # a CI log
    True
    >>> configure(False, {}); wanted(io.StringIO())
    False
    """
    if muted:
        _policy.asked, _policy.muted = False, True
        return
    value = environ.get(VARIABLE, "").strip()
    if value not in _ASKED:
        raise UsageError(
            f"{VARIABLE}={value!r}: use 1 (progress on stderr even without a terminal), "
            "0 (no progress) or leave it unset (progress on a terminal only)"
        )
    _policy.asked = True if flag else _ASKED[value]
    _policy.muted = False


def asked() -> bool | None:
    """What this command was told: True (``--progress``, ``UPKEEP_PROGRESS=1``), False
    (``UPKEEP_PROGRESS=0``) or None (left to the terminal)."""
    return _policy.asked


def muted() -> bool:
    """Whether this command's output must be its own alone (a Nagios plugin's run)."""
    return _policy.muted


def wanted(stream: TextIO) -> bool:
    """Whether progress lines belong on ``stream``: muted never, asked always, else a terminal."""
    if _policy.muted:
        return False
    if _policy.asked is not None:
        return _policy.asked
    return _is_terminal(stream)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream is no terminal
        return False


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
    """Step lines and a status line on ``stream`` (stderr: stdout stays parseable).

    On stderr (the default) it writes only when progress is ``wanted()``; a
    stream given to it is the caller's choice and is written to unless muted.
    """

    def __init__(self, stream: TextIO | None = None, plain_every: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.enabled = not _policy.muted if stream is not None else wanted(self.stream)
        self.terminal = _is_terminal(self.stream)
        self.plain_every = plain_every
        self._shown = False  # a status line is on screen (terminal only)
        self._last = -float("inf")

    def say(self, message: str) -> None:
        if not self.enabled:
            return
        self._clear()
        print(f"  … {message}", file=self.stream, flush=True)

    def tick(self, status: str) -> None:
        if not self.enabled:
            return
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
