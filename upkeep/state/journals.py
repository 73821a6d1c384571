"""The ``journals`` table: each job's run journals, one row per key (a project, a target).

A row is the journal as the pipeline wrote it (JSON, ``body``) beside what
people and other machines ask of it without reading it: its run, its state,
which machine saved it last and from which state home, and when. A saved
journal replaces the key's previous one, as its file did: a finished run stays
until the next starts.

    >>> row = Saved("update", "shop", "r1", "running", "ci-7", "/home/ci/.local/state/upkeep",
    ...             "2026-12-06T16:14:23.000000Z", '{"run_id": "r1"}')
    >>> row.described()
    'saved by ci-7 (state home /home/ci/.local/state/upkeep) at 2026-12-06T16:14:23.000000Z'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from upkeep.state.database import Database

_COLUMNS = "job, run_key, run_id, state, machine, state_home, saved, body"


@dataclass(frozen=True)
class Saved:
    """One journal as the store keeps it (``body``: the journal as JSON, read by the pipeline)."""

    job: str
    key: str
    run_id: str
    state: str
    machine: str
    state_home: str
    saved: str
    body: str

    def described(self) -> str:
        return f"saved by {self.machine} (state home {self.state_home}) at {self.saved}"


def put(db: Database, saved: Saved) -> None:
    """``saved`` in place of its key's journal, inside the caller's transaction."""
    db.execute(
        f"INSERT INTO journals ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (job, run_key) DO UPDATE SET run_id = excluded.run_id, "
        "state = excluded.state, machine = excluded.machine, "
        "state_home = excluded.state_home, saved = excluded.saved, body = excluded.body",
        _values(saved),
    )


def put_new(db: Database, saved: Saved) -> bool:
    """``saved`` unless its key has a journal already (an import); whether it went in."""
    return bool(
        db.execute(
            f"INSERT INTO journals ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (job, run_key) DO NOTHING RETURNING run_id",
            _values(saved),
        )
    )


def get(db: Database, job: str, key: str) -> Saved | None:
    rows = db.execute(f"SELECT {_COLUMNS} FROM journals WHERE job = ? AND run_key = ?", (job, key))
    if not rows:
        return None
    job, key, run_id, state, machine, home, saved, body = rows[0]
    return Saved(job, key, run_id, state, machine, home, saved, body)


def _values(saved: Saved) -> tuple[Any, ...]:
    return (
        saved.job,
        saved.key,
        saved.run_id,
        saved.state,
        saved.machine,
        saved.state_home,
        saved.saved,
        saved.body,
    )
