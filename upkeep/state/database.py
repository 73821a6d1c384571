"""The seam between the store and its database: SQLite (embedded) or PostgreSQL (a team's).

The store speaks a handful of portable statements with ``?`` placeholders;
a ``Database`` runs them on its engine and keeps what differs: how a write
transaction is taken (SQLite: ``BEGIN IMMEDIATE``, so writers queue;
PostgreSQL: a plain transaction), how two processes opening a fresh store at
once are kept from migrating it twice (SQLite: that same immediate
transaction; PostgreSQL: an advisory lock held until commit), how tables are
listed, what "integrity" means, which version the engine is.

Why not SQLAlchemy Core: the store has about twenty statements, all plain
SQL that both engines read alike; what differs (the lines above) SQLAlchemy
would not hide either, and it would bring a large dependency, its pool and
its own URL rules for a seam of one small class per engine.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "x.db"
    ...     db = connect(Location(f"sqlite:///{path}", path), busy_timeout=1.0)
    ...     with db.transaction():
    ...         _ = db.execute("CREATE TABLE t (x TEXT)")
    ...         _ = db.execute("INSERT INTO t (x) VALUES (?)", ("a",))
    ...     db.execute("SELECT x FROM t"), db.has_table("t"), db.backend
    ...     db.close()
    ([('a',)], True, 'sqlite')
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from upkeep.errors import RunFailed, UsageError
from upkeep.state import sqlite
from upkeep.state.location import Location

Busy = Callable[[], Exception]
Prepare = Callable[["Database"], None]
# Any constant both sides agree on: upkeep's migrations, one at a time per database.
MIGRATION_LOCK = 0x75706B70  # "upkp"


class Database(ABC):
    """One connection to the store's database; statements use ``?`` placeholders."""

    backend = ""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Database]:
        """A write transaction: committed when the block ends, rolled back if it raises."""

    @abstractmethod
    def migration_lock(self) -> None:
        """Inside a transaction: wait until no other process is migrating this store."""

    @abstractmethod
    def one_writer(self, key: int) -> None:
        """Inside a transaction: wait until no other transaction that asked for ``key`` runs
        (a read-then-write that must not interleave, such as a check's incident step)."""

    @abstractmethod
    def has_table(self, name: str) -> bool: ...

    @abstractmethod
    def integrity(self, tables: Sequence[str]) -> list[str]:
        """``["ok"]``, or what is wrong with the store's ``tables`` as the engine sees them."""

    @abstractmethod
    def server_version(self) -> str: ...

    @abstractmethod
    def close(self) -> None: ...


class SqliteDatabase(Database):
    backend = "sqlite"

    def __init__(self, path: Path, busy_timeout: float, busy: Busy, prepare: Prepare) -> None:
        self._busy = busy
        self._path = path

        def prepared(db: sqlite3.Connection) -> None:
            # Inside sqlite.connect, so a file that is no store is refused in its words.
            self._db = db
            prepare(self)

        self._db = sqlite.connect(
            path,
            "the state store",
            "an upkeep state store",
            busy_timeout=busy_timeout,
            busy=busy,
            prepare=prepared,
        )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._failures():
            return [tuple(row) for row in self._db.execute(sql, tuple(params)).fetchall()]

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._failures():
            self._db.executemany(sql, [tuple(row) for row in rows])

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """A damaged file (pages that do not read) in one line, as PostgreSQL's failures."""
        try:
            yield
        except sqlite3.OperationalError:
            raise  # busy and locked: sqlite.write_transaction's own wait handles them
        except sqlite3.DatabaseError as error:
            raise RunFailed(
                f"{self._path}: the state store failed ({error}); `upkeep state check` says more"
            ) from None

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        with sqlite.write_transaction(self._db, self._busy):
            yield self

    def migration_lock(self) -> None:
        """Nothing more: the write transaction (BEGIN IMMEDIATE) already excludes the others."""

    def one_writer(self, key: int) -> None:
        """Nothing more: the write transaction (BEGIN IMMEDIATE) already excludes the others."""

    def has_table(self, name: str) -> bool:
        found = self.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        )
        return bool(found[0][0])

    def integrity(self, tables: Sequence[str]) -> list[str]:
        """SQLite's own check of the whole file."""
        return [str(row[0]) for row in self.execute("PRAGMA integrity_check")]

    def server_version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"

    def close(self) -> None:
        self._db.close()


class PostgresDatabase(Database):
    backend = "postgresql"

    def __init__(
        self, location: Location, busy_timeout: float, busy: Busy, prepare: Prepare
    ) -> None:
        import psycopg  # only a PostgreSQL store needs the driver loaded

        self._psycopg = psycopg
        self._url = location.url
        self._busy = busy
        try:
            self._db = psycopg.connect(
                location.dsn,
                autocommit=True,  # transactions are explicit, as on SQLite
                connect_timeout=max(1, round(busy_timeout)),
                application_name="upkeep",
            )
        except psycopg.Error as error:
            raise UsageError(
                f"{location.url}: cannot reach the state store ({_said(error, location)}); "
                f"check UPKEEP_DATABASE_URL and that the server accepts this user"
            ) from None
        # Waits for a row or the migration lock end as "busy", as SQLite's timeout does.
        try:
            self.execute(f"SET lock_timeout = {int(busy_timeout * 1000)}")
            prepare(self)
        except BaseException:
            self.close()
            raise

    def _run(self, call: Callable[[], list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
        errors = self._psycopg.errors
        try:
            return call()
        except errors.LockNotAvailable:
            raise self._busy() from None
        except self._psycopg.OperationalError as error:  # the server went away mid-run
            raise RunFailed(f"{self._url}: the state store failed ({error})") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        def run() -> list[tuple[Any, ...]]:
            cursor = self._db.execute(_marks(sql), tuple(params))
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

        return self._run(run)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        def run() -> list[tuple[Any, ...]]:
            with self._db.cursor() as cursor:
                cursor.executemany(_marks(sql), [tuple(row) for row in rows])
            return []

        self._run(run)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        with self._db.transaction():
            yield self

    def migration_lock(self) -> None:
        self.one_writer(MIGRATION_LOCK)

    def one_writer(self, key: int) -> None:
        # Held until commit or rollback; READ COMMITTED alone would let two read one state.
        self.execute("SELECT pg_advisory_xact_lock(?)", (key,))

    def has_table(self, name: str) -> bool:
        return self.execute("SELECT to_regclass(?) IS NOT NULL", (name,))[0][0] is True

    def integrity(self, tables: Sequence[str]) -> list[str]:
        """The store's tables are all there and the server takes writes (not a standby)."""
        problems = [f"table {name} is missing" for name in tables if not self.has_table(name)]
        if self.execute("SELECT pg_is_in_recovery()")[0][0]:
            problems.append("the server is a read-only standby (in recovery)")
        return problems or ["ok"]

    def server_version(self) -> str:
        return f"PostgreSQL {self.execute('SHOW server_version')[0][0]}"

    def close(self) -> None:
        self._db.close()


def connect(
    location: Location,
    *,
    busy_timeout: float,
    busy: Busy | None = None,
    prepare: Prepare = lambda db: None,
) -> Database:
    """The database at ``location``, open and ``prepare``d (migrated); a UsageError in one
    line when it cannot be opened."""

    def waited() -> Exception:
        return RunFailed(
            f"{location.url}: the state store stayed busy for {busy_timeout:g}s "
            "(another upkeep run is writing to it); try again"
        )

    if location.path is not None:
        return SqliteDatabase(location.path, busy_timeout, busy or waited, prepare)
    return PostgresDatabase(location, busy_timeout, busy or waited, prepare)


def _marks(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (the store's statements hold no other ``?`` or ``%``)."""
    return sql.replace("?", "%s")


def _said(error: Exception, location: Location) -> str:
    """The driver's message on one line, without the password should it quote the URL."""
    text = " ".join(str(error).split())
    password = _password(location.dsn)
    return text.replace(password, "***") if password else text


def _password(dsn: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(dsn)
    return parts.password or next(iter(parse_qs(parts.query).get("password", [])), "")
