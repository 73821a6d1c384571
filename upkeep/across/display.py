"""Each project's state while a run over several goes on, the way the output can take it.

On a terminal: one line per project (waiting / running / ok / failed and its
current step), redrawn in place under the output. Elsewhere (CI, a pipe, or
progress asked with ``UPKEEP_PROGRESS``): plain timestamped lines as things
happen. A project's own output is printed whole when it ends (``above``), so
two projects' text never interleave.

    >>> import io
    >>> out = io.StringIO()
    >>> display = Display(["blog", "shop"], out, live=False, clock=lambda: 0.0)
    >>> display.running("blog"); display.step("blog", "provisioning staging")
    >>> display.ended("blog", ok=False, why="host unreachable")
    >>> print(out.getvalue(), end="")
    00:00:00 blog: running
    00:00:00 blog: provisioning staging
    00:00:00 blog: failed: host unreachable
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

REDRAW_EVERY = 0.2  # seconds between redraws of the live lines for steps alone
STEP_MARK = "  … "  # how a progress line starts (upkeep.progress)


@dataclass(frozen=True)
class Line:
    """One project's live line."""

    project: str
    state: str  # waiting, running, ok, failed
    detail: str = ""
    since: float | None = None  # when it started running

    def text(self, width: int, now: float) -> str:
        took = f" {now - self.since:.0f} s" if self.since is not None else ""
        detail = f"  {self.detail}" if self.detail else ""
        return f"{self.project:<{width}}  {self.state + took:<12}{detail}".rstrip()


def step_of(line: str) -> str | None:
    """The step a child's stderr line says, if it is a progress line; else None.

    >>> step_of("  … provisioning demo staging"), step_of("upkeep: no such host")
    ('provisioning demo staging', None)
    """
    line = line.rsplit("\r", 1)[-1].replace("\x1b[K", "")
    return line.removeprefix(STEP_MARK).strip() if line.startswith(STEP_MARK) else None


class Display:
    """The projects' states on ``stream`` (stderr): live lines or plain lines (see the module)."""

    def __init__(
        self,
        projects: Sequence[str],
        stream: TextIO,
        *,
        live: bool,
        steps: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.stream, self.live, self.steps, self.clock = stream, live, steps, clock
        self.lines = {name: Line(name, "waiting") for name in projects}
        self.width = max(map(len, projects), default=0)
        self._drawn = 0  # live lines now on screen
        self._last = -float("inf")

    def waiting(self, project: str, why: str) -> None:
        if self.lines[project].detail != why:
            self._set(Line(project, "waiting", why), say=why and f"waiting: {why}")

    def running(self, project: str) -> None:
        self._set(Line(project, "running", since=self.clock()), say="running")

    def step(self, project: str, text: str) -> None:
        if not self.steps:
            return
        self.lines[project] = Line(project, "running", text, self.lines[project].since)
        if self.live:
            self._draw(force=False)
        else:
            self._say(project, text)

    def ended(self, project: str, *, ok: bool, why: str = "") -> None:
        said = "ok" if ok else f"failed: {why or 'failed'}"
        self._set(Line(project, "ok" if ok else "failed", "" if ok else why), say=said)

    def tick(self) -> None:
        """Redraw the live lines now and then (the time each project has run)."""
        self._draw(force=False)

    def above(self, write: Callable[[], None]) -> None:
        """``write`` (a project's output) above the live lines, which are drawn again after."""
        self._clear()
        write()
        self._draw(force=True)

    def close(self) -> None:
        """Leave the final lines on screen (live) and the stream flushed."""
        self._draw(force=True)
        self._drawn = 0
        self.stream.flush()

    def _set(self, line: Line, say: str) -> None:
        self.lines[line.project] = line
        if self.live:
            self._draw(force=True)
        elif say:
            self._say(line.project, say)

    def _say(self, project: str, text: str) -> None:
        stamp = time.strftime("%H:%M:%S", time.gmtime(self.clock()))
        print(f"{stamp} {project}: {text}", file=self.stream, flush=True)

    def _draw(self, *, force: bool) -> None:
        if not self.live:
            return
        now = self.clock()
        if not force and now - self._last < REDRAW_EVERY:
            return
        self._last = now
        columns, rows = shutil.get_terminal_size()
        shown = list(self.lines.values())
        if len(shown) >= rows:  # what still runs or waits, when all do not fit
            shown = [line for line in shown if line.state in ("running", "waiting")][: rows - 2]
        self._clear()
        for line in shown:
            self.stream.write(line.text(self.width, now)[: columns - 1] + "\n")
        self._drawn = len(shown)
        self.stream.flush()

    def _clear(self) -> None:
        if self._drawn:  # to the first live line, then erase to the end of the screen
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self.stream.flush()
            self._drawn = 0
