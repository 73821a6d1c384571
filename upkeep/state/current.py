"""What the run in progress has done so far: the projects it selected, the reports it wrote,
the pins commits it made.

The CLI opens a run (``noting()``) around each command; the places that
select projects and write reports note them here, without knowing about the
store. Outside a run (a library caller, a test) a note goes nowhere.

    >>> with noting() as notes:
    ...     note_projects(["shop"])
    ...     note_report(Path("reports/sla/shop-2026-11.md"))
    ...     note_pins_commit("4f1c0de5")
    >>> notes.projects, notes.reports, notes.pins_commits
    (['shop'], ['reports/sla/shop-2026-11.md'], ['4f1c0de5'])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Notes:
    """The projects, report files and pins commits of one run, in the order they came."""

    projects: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    pins_commits: list[str] = field(default_factory=list)


_CURRENT: ContextVar[Notes | None] = ContextVar("upkeep_current_run", default=None)


@contextmanager
def noting() -> Iterator[Notes]:
    """A run's notes, collected while the block runs."""
    notes = Notes()
    token = _CURRENT.set(notes)
    try:
        yield notes
    finally:
        _CURRENT.reset(token)


def note_projects(names: Iterable[str]) -> None:
    notes = _CURRENT.get()
    if notes is not None:
        notes.projects.extend(name for name in names if name not in notes.projects)


def note_report(path: Path) -> None:
    notes = _CURRENT.get()
    if notes is not None:
        notes.reports.append(str(path))


def note_pins_commit(sha: str) -> None:
    notes = _CURRENT.get()
    if notes is not None:
        notes.pins_commits.append(sha)
