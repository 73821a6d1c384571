"""The one store: opened, migrated forward, written in short transactions.

SQLite in WAL mode with a busy timeout (as upkeep.monitor.history), so a
timer's run and an operator's can write at once: one waits its turn; or
PostgreSQL for a team (upkeep.state.database keeps what differs). Opening
applies the migrations this upkeep knows and the store lacks
(upkeep.state.schema), in one transaction that holds the migration lock, so
two processes opening a fresh store at once migrate it once; a store newer
than this upkeep is refused.

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "upkeep.db"
    ...     with Store(Location(f"sqlite:///{path}", path)) as store:
    ...         store.schema_version == len(MIGRATIONS), store.rows()["runs"]
    (True, 0)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

from upkeep.errors import UsageError
from upkeep.state import database, journals, runs
from upkeep.state.database import Database
from upkeep.state.journals import Saved
from upkeep.state.location import Location, locate
from upkeep.state.runs import Run
from upkeep.state.schema import BOOKKEEPING, MIGRATIONS, Migration

TABLES = (
    "schema_migrations",
    "runs",
    "run_projects",
    "journals",
    # the monitoring history (upkeep.monitor.history)
    "results",
    "incidents",
    "check_state",
    "kv",
    "notifications",
)
# The ids' counters (upkeep.state.counters): checked for, not counted.
COUNTERS = "counters"


@dataclass(frozen=True)
class Applied:
    """A migration the store has had, and when (UTC text)."""

    version: int
    applied_at: str


class Store:
    """The state store; use it as a context manager (or close it)."""

    def __init__(
        self,
        location: Location,
        *,
        busy_timeout: float = 30.0,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        self.location = location
        self.busy_timeout = busy_timeout
        self._migrations = tuple(migrations)
        self._db = database.connect(location, busy_timeout=busy_timeout, prepare=self._migrate)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def database(self) -> Database:
        """The open connection, for the store's other tables' own modules (the monitoring
        history: upkeep.monitor.history)."""
        return self._db

    # ---- migrating ----------------------------------------------------------------

    def _migrate(self, db: Database) -> None:
        known = len(self._migrations)
        if db.has_table("schema_migrations") and _version(db) == known:
            return
        with db.transaction():
            db.migration_lock()  # a second process starting now waits here, then finds it done
            db.execute(BOOKKEEPING)
            version = _version(db)  # another process may have migrated meanwhile
            if version > known:
                raise UsageError(
                    f"{self.location.url}: written by a newer upkeep (schema {version}, this "
                    f"one knows {known}); upgrade upkeep or choose another store"
                )
            now = runs.stamp(dt.datetime.now(dt.UTC))
            for migration in self._migrations[version:]:
                for statement in migration.statements:
                    db.execute(statement)
                db.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    (migration.version, now),
                )

    # ---- runs -------------------------------------------------------------------

    def record_run(self, run: Run) -> None:
        with self._db.transaction() as db:
            runs.insert(db, run)

    def runs(
        self, *, project: str | None = None, since: dt.datetime | None = None, limit: int = 50
    ) -> list[Run]:
        """Past runs, newest first (see upkeep.state.runs.select)."""
        return runs.select(self._db, project=project, since=since, limit=limit)

    # ---- journals ---------------------------------------------------------------

    def save_journal(self, saved: Saved) -> None:
        with self._db.transaction() as db:
            journals.put(db, saved)

    def journal(self, job: str, key: str) -> Saved | None:
        """``job``'s journal for ``key`` (a project, a target), or None."""
        return journals.get(self._db, job, key)

    def import_journals(self, found: Sequence[Saved]) -> list[Saved]:
        """``found`` (from files) where their keys have no journal yet; the ones that went in."""
        with self._db.transaction() as db:
            return [saved for saved in found if journals.put_new(db, saved)]

    # ---- health -----------------------------------------------------------------

    @property
    def backend(self) -> str:
        return self._db.backend

    def server_version(self) -> str:
        return self._db.server_version()

    @property
    def schema_version(self) -> int:
        return _version(self._db)

    def migrations(self) -> list[Applied]:
        rows = self._db.execute(
            "SELECT version, applied_at FROM schema_migrations ORDER BY version"
        )
        return [Applied(int(version), str(at)) for version, at in rows]

    def rows(self) -> dict[str, int]:
        """How many rows each table holds."""
        return {
            table: int(self._db.execute(f"SELECT COUNT(*) FROM {table}")[0][0]) for table in TABLES
        }

    def integrity(self) -> list[str]:
        """The engine's own check: ``["ok"]``, or what is damaged (see Database.integrity)."""
        return self._db.integrity((*TABLES, COUNTERS))


def open_store(location: Location | None = None) -> Store:
    """The store UPKEEP_DATABASE_URL (or the default) names, opened and migrated."""
    return Store(location if location is not None else locate())


def _version(db: Database) -> int:
    return int(db.execute("SELECT MAX(version) FROM schema_migrations")[0][0] or 0)
