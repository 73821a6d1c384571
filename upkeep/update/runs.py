"""An update run's journal: the pipeline's, with the builds it moves between in its facts.

One per project in the state store (job ``update``); the files of before
(``<state home>/updates/<project>.json``) are imported on first use, and a
journal written before jobs were named (the builds at its top level) still loads.

    >>> journal = started("demo", "8.2.32-1~deb12u1", "8.2.36-1~deb12u1", ("lock", "bump"))
    >>> journal.job, from_build(journal), to_build(journal)
    ('update', '8.2.32-1~deb12u1', '8.2.36-1~deb12u1')
"""

from __future__ import annotations

from collections.abc import Sequence

from upkeep.pipeline import Journal, JournalStore
from upkeep.workspace import state_home

JOB = "update"


def store() -> JournalStore:
    return JournalStore(JOB, old_files=state_home() / "updates")


def started(project: str, old: str, new: str, steps: Sequence[str]) -> Journal:
    """A new update journal of ``project`` from build ``old`` to ``new``."""
    journal = Journal.start(JOB, project, steps)
    journal.facts.update(from_build=old, to_build=new)
    return journal


def from_build(journal: Journal) -> str:
    return str(journal.facts["from_build"])


def to_build(journal: Journal) -> str:
    return str(journal.facts["to_build"])
