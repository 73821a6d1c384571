"""The ``counters`` table: the store makes its own integer ids, the same way on both engines.

Incident numbers are what operators type (``upkeep incident ack 12``), so they
must be small, dense and never given twice, even with two machines writing to
one PostgreSQL store. ``take`` moves a counter's row forward with one UPDATE
inside the caller's transaction: the row stays locked until that transaction
ends, so a second writer's UPDATE waits and then counts on from the committed
value (PostgreSQL re-reads the row it waited for); a transaction that rolls back
gives its numbers back. ``MAX(id) + 1`` would let two PostgreSQL writers read
the same maximum; ``INSERT OR REPLACE``/``lastrowid``/``SERIAL`` are one
engine's each.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from upkeep.state import Location, open_store
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "upkeep.db"
    ...     with open_store(Location(f"sqlite:///{path}", path)) as store:
    ...         with store.database.transaction() as db:
    ...             take(db, "results", 3), take(db, "results")
    (1, 4)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from upkeep.state.database import Database


def take(db: Database, name: str, count: int = 1) -> int:
    """The first of ``count`` new ids from counter ``name`` (they run on from it)."""
    rows = db.execute(
        "UPDATE counters SET last = last + ? WHERE name = ? RETURNING last", (count, name)
    )
    if not rows:
        raise KeyError(f"no counter {name!r} in the store")
    return int(rows[0][0]) - count + 1


def at_least(db: Database, name: str, last: int) -> None:
    """Counter ``name`` moved on past ``last`` (ids brought in from elsewhere: an import)."""
    db.execute("UPDATE counters SET last = ? WHERE name = ? AND last < ?", (last, name, last))
