"""Histories kept the old way (an SQLite ``monitor.db`` of their own, schema 1-4) brought into
the store once, nothing lost.

``claim`` moves an old file aside (``monitor.db.importing``) before anything
opens it as a store, so a second process finds nothing to claim; ``bring_in``
copies its rows in one store transaction (under the migration lock, beside a
marker in ``kv`` that says it was done), then renames it ``.imported``: a crash
before the commit leaves the ``.importing`` file for the next open to finish, a
crash after it finds the marker and only renames. As journals.py's file
journals, the old file is renamed, never deleted.

Incident numbers stay what operators know (ids kept) unless the store already
gave those numbers out (a second machine's file into a shared store): then the
file's ids run on after the store's, check state following its incidents. A
check state or kv key the store already holds keeps the store's.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     claim(Path(folder) / "monitor.db") is None  # nothing kept the old way
    True
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path

from upkeep.errors import RunFailed, UsageError
from upkeep.state.counters import at_least
from upkeep.state.database import Database
from upkeep.workspace import state_home

log = logging.getLogger(__name__)

NEWEST = 4  # the last schema (PRAGMA user_version) an old history file had
_IMPORTING, _IMPORTED = ".importing", ".imported"
_CHUNK = 5000
# Tables in the order their references need; ``counter``: the ids the store's counters make.
_TABLES = (("incidents", "incidents"), ("results", "results"), ("check_state", ""), ("kv", ""))


@dataclass(frozen=True)
class Imported:
    """What came in from an old file: rows per table, and by how much its ids moved on."""

    source: Path
    rows: dict[str, int]
    id_shift: dict[str, int]


def default_path() -> Path:
    """Where a machine kept its history before the store."""
    return state_home() / "monitor.db"


def claim(path: Path) -> Path | None:
    """``path``'s old history moved aside for importing (or one a crashed import left),
    or None when there is none."""
    pending = path.with_name(path.name + _IMPORTING)
    if not pending.exists() and _is_old(path):
        with suppress(FileNotFoundError):  # another process claimed it first: see below
            path.rename(pending)
    return pending if pending.exists() else None


def _is_old(path: Path) -> bool:
    """An SQLite file with the old history's tables and none of the store's bookkeeping;
    its write-ahead log folded in, so the file alone holds everything."""
    if not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(path, isolation_level=None)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if "results" not in tables or "schema_migrations" in tables:
                return False
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > NEWEST:
                raise UsageError(
                    f"{path}: a monitoring history written by a newer upkeep (schema {version}, "
                    f"this one imports 1 to {NEWEST}); upgrade upkeep or move it aside"
                )
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return True
    except sqlite3.DatabaseError:
        return False  # not an old history: the store, opening it, says what it is


def bring_in(db: Database, pending: Path) -> Imported | None:
    """``pending``'s rows into the store, once; the file then renamed ``.imported``.
    None when an earlier run had brought it in already."""
    original = pending.with_name(pending.name.removesuffix(_IMPORTING))
    marker = f"upkeep/imported/{original}"
    try:
        with closing(sqlite3.connect(pending, isolation_level=None)) as old, db.transaction():
            db.migration_lock()  # two processes finishing one import: the second finds the marker
            if db.execute("SELECT 1 FROM kv WHERE key = ?", (marker,)):
                imported = None
            else:
                imported = _copy(old, db, pending)
                db.execute(
                    "INSERT INTO kv (key, value, updated) VALUES (?, ?, ?)",
                    (marker, str(sorted(imported.rows.items())), _now()),
                )
    except (UsageError, RunFailed):
        raise
    except Exception as error:  # a damaged old file, a value the server refuses
        raise RunFailed(
            f"{pending}: the old monitoring history could not be imported ({error}); "
            f"nothing of it went in; repair or move the file away"
        ) from None
    with suppress(FileNotFoundError):  # another process finished the same import
        pending.rename(original.with_name(original.name + _IMPORTED))
    if imported is not None:
        log.info("imported %s into the state store: %s", pending, imported.rows)
    return imported


def _copy(old: sqlite3.Connection, db: Database, source: Path) -> Imported:
    rows: dict[str, int] = {}
    shift: dict[str, int] = {}
    for table, counter in _TABLES:
        columns = [row[1] for row in old.execute(f"PRAGMA table_info({table})")]
        if counter:
            shift[table] = _shift(old, db, table, counter)
        moved = {"id": shift.get(table, 0), "incident_id": shift.get("incidents", 0)}
        marks = ", ".join("?" for _ in columns)
        insert = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT DO NOTHING"
        )
        where = [columns.index(name) for name in moved if name in columns and moved[name]]
        cursor = old.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")
        rows[table] = 0
        while chunk := cursor.fetchmany(_CHUNK):
            if where:
                chunk = [_moved(row, where, columns, moved) for row in chunk]
            db.executemany(insert, chunk)
            rows[table] += len(chunk)
        if counter:
            last = old.execute(f"SELECT MAX(id) FROM {table}").fetchone()[0]
            if last is not None:
                at_least(db, counter, int(last) + shift[table])
    return Imported(source, rows, shift)


def _shift(old: sqlite3.Connection, db: Database, table: str, counter: str) -> int:
    """0 when the file's ids are free in the store; else the store's last id, to run on after."""
    first = old.execute(f"SELECT MIN(id) FROM {table}").fetchone()[0]
    last = int(db.execute("SELECT last FROM counters WHERE name = ?", (counter,))[0][0])
    return 0 if first is None or int(first) > last else last


def _moved(
    row: tuple[object, ...], where: list[int], columns: list[str], moved: dict[str, int]
) -> tuple[object, ...]:
    values = list(row)
    for index in where:
        if values[index] is not None:
            values[index] = int(values[index]) + moved[columns[index]]  # type: ignore[call-overload]
    return tuple(values)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
