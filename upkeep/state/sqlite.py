"""SQLite as upkeep's stores use it: a private file, WAL, a busy timeout, writes taken at once.

How the state store's SQLite engine (upkeep.state.database) opens a file, waits
for another writer and commits; the monitoring history lives in that store.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     busy = lambda: TimeoutError("busy")
    ...     db = connect(Path(folder) / "x.db", "the store", "a store", busy_timeout=1.0, busy=busy)
    ...     with write_transaction(db, busy):
    ...         _ = db.execute("CREATE TABLE t (x TEXT)")
    ...     db.execute("PRAGMA journal_mode").fetchone()[0]
    'wal'
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from upkeep.errors import UsageError


def connect(
    path: Path,
    what: str,
    kind: str,
    *,
    busy_timeout: float,
    busy: Callable[[], Exception],
    prepare: Callable[[sqlite3.Connection], None] = lambda db: None,
) -> sqlite3.Connection:
    """``path`` opened (created private if new) in WAL mode, then ``prepare``d (migrated).

    Refusals are one line naming ``what`` (``the state store``) or, for a file that
    is something else, ``kind`` (``an upkeep state store``); ``busy()`` when it stayed locked.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            # Created private before SQLite opens it; its -wal and -shm follow suit.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError as error:
        raise UsageError(
            f"{path}: cannot create {what} ({error.strerror}); "
            "check the directory's permissions or choose another path"
        ) from None
    db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        _switch_to_wal(db, busy_timeout)
        db.execute("PRAGMA synchronous = NORMAL")  # WAL keeps it consistent on a crash
        db.execute("PRAGMA foreign_keys = ON")
        prepare(db)
    except sqlite3.OperationalError as error:
        db.close()
        if locked(error):
            raise busy() from None
        raise UsageError(f"{path}: cannot open {what} ({error})") from None
    except sqlite3.DatabaseError as error:
        db.close()
        raise UsageError(
            f"{path}: not {kind} ({error}); move it aside or choose another path"
        ) from None
    except BaseException:
        db.close()
        raise
    return db


def _switch_to_wal(db: sqlite3.Connection, busy_timeout: float) -> None:
    """WAL mode, which the file keeps. Connections switching a fresh file at the same
    moment can each hold the read lock the other must get past: SQLite then answers
    "locked" at once instead of waiting, so the switch is tried again until the timeout."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if not locked(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


@contextmanager
def write_transaction(
    db: sqlite3.Connection, busy: Callable[[], Exception]
) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once so two runs queue instead of deadlocking;
    ``busy()`` is raised when the file stayed locked past the timeout."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if locked(error):
            raise busy() from None
        raise
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    try:
        db.execute("COMMIT")
    except sqlite3.OperationalError as error:
        db.execute("ROLLBACK")
        if locked(error):
            raise busy() from None
        raise


def locked(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)
