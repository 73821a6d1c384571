"""The one store: opened, migrated forward, written in short transactions.

SQLite in WAL mode with a busy timeout (as upkeep.monitor.history), so a
timer's run and an operator's can write at once: one waits its turn. Opening
applies the migrations this upkeep knows and the store lacks
(upkeep.state.schema), in one transaction; a store newer than this upkeep is
refused.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "upkeep.db"
    ...     with Store(Location(f"sqlite:///{path}", path)) as store:
    ...         store.schema_version == len(MIGRATIONS), store.rows()["runs"]
    (True, 0)
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from upkeep.errors import RunFailed, UsageError
from upkeep.state import runs
from upkeep.state.location import Location, locate
from upkeep.state.runs import Run
from upkeep.state.schema import BOOKKEEPING, MIGRATIONS, Migration

TABLES = ("schema_migrations", "runs", "run_projects")


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
        self._db = self._open()

    # ---- opening and closing ----------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        path: Path = self.location.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                # Created private before SQLite opens it; its -wal and -shm follow suit.
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError as error:
            raise UsageError(
                f"{path}: cannot create the state store ({error.strerror}); "
                "check the directory's permissions or set UPKEEP_DATABASE_URL"
            ) from None
        db = sqlite3.connect(path, timeout=self.busy_timeout, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")  # WAL keeps it consistent on a crash
            db.execute("PRAGMA foreign_keys = ON")
            self._migrate(db)
        except sqlite3.OperationalError as error:
            db.close()
            if _locked(error):
                raise self._busy() from None
            raise UsageError(f"{path}: cannot open the state store ({error})") from None
        except sqlite3.DatabaseError as error:
            db.close()
            raise UsageError(
                f"{path}: not an upkeep state store ({error}); move it aside or choose another"
            ) from None
        except BaseException:
            db.close()
            raise
        return db

    def _migrate(self, db: sqlite3.Connection) -> None:
        known = len(self._migrations)
        if _has_bookkeeping(db) and _version(db) == known:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
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
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _busy(self) -> RunFailed:
        return RunFailed(
            f"{self.location.url}: the state store stayed busy for {self.busy_timeout:g}s "
            "(another upkeep run is writing to it); try again"
        )

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so two runs queue instead of deadlocking."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if _locked(error):
                raise self._busy() from None
            raise
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ---- runs -------------------------------------------------------------------

    def record_run(self, run: Run) -> None:
        with self._write() as db:
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


def _locked(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)
