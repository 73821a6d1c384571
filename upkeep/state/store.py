"""The one store: opened, migrated forward, written in short transactions.

SQLite in WAL mode with a busy timeout (as upkeep.monitor.history), so a
timer's run and an operator's can write at once: one waits its turn. Opening
applies the migrations this upkeep knows and the store lacks
(upkeep.state.schema), in one transaction; a store newer than this upkeep is
refused.

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
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from upkeep.errors import RunFailed, UsageError
from upkeep.state import runs, sqlite
from upkeep.state.location import Location, locate
from upkeep.state.runs import Run
from upkeep.state.schema import BOOKKEEPING, MIGRATIONS, Migration

TABLES = ("schema_migrations", "runs", "run_projects")


@dataclass(frozen=True)
class Applied:
    """A migration the store has had, and when (UTC text)."""

    version: int
    applied_at: str


class Store(sqlite.Closing):
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
        self._db = self._open()

    # ---- opening and closing ----------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        return sqlite.connect(
            self.location.path,
            "the state store",
            "an upkeep state store",
            busy_timeout=self.busy_timeout,
            busy=self._busy,
            prepare=self._migrate,
        )

    def _migrate(self, db: sqlite3.Connection) -> None:
        known = len(self._migrations)
        if _has_bookkeeping(db) and _version(db) == known:
            return
        with sqlite.write_transaction(db, self._busy):
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

    def _busy(self) -> RunFailed:
        return RunFailed(
            f"{self.location.url}: the state store stayed busy for {self.busy_timeout:g}s "
            "(another upkeep run is writing to it); try again"
        )

    # ---- runs -------------------------------------------------------------------

    def record_run(self, run: Run) -> None:
        with sqlite.write_transaction(self._db, self._busy) as db:
            runs.insert(db, run)

    def runs(
        self, *, project: str | None = None, since: dt.datetime | None = None, limit: int = 50
    ) -> list[Run]:
        """Past runs, newest first (see upkeep.state.runs.select)."""
        return runs.select(self._db, project=project, since=since, limit=limit)

    # ---- health -----------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return _version(self._db)

    def migrations(self) -> list[Applied]:
        rows = self._db.execute(
            "SELECT version, applied_at FROM schema_migrations ORDER BY version"
        ).fetchall()
        return [Applied(int(version), str(at)) for version, at in rows]

    def rows(self) -> dict[str, int]:
        """How many rows each table holds."""
        return {
            table: int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in TABLES
        }

    def integrity(self) -> list[str]:
        """SQLite's own check of the file: ``["ok"]``, or what is damaged."""
        return [str(row[0]) for row in self._db.execute("PRAGMA integrity_check").fetchall()]


def open_store(location: Location | None = None) -> Store:
    """The store UPKEEP_DATABASE_URL (or the default) names, opened and migrated."""
    return Store(location if location is not None else locate())


def _has_bookkeeping(db: sqlite3.Connection) -> bool:
    row = db.execute(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    return bool(row[0])


def _version(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)
