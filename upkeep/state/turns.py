"""One at a time across every machine that shares the store: whole runs take turns.

A check run reads the log cursors when it starts and writes them when it ends,
with minutes of SSH in between: two at once would both report the same new log
lines. Its transactions are short, so the store's write transactions do not
keep two runs apart; a lock held for the whole run does, and it must drop
by itself when its holder dies, so a crashed run blocks nobody:

- SQLite (one machine): an flock on a file beside the store. Not SQLite's own
  write transaction: held for minutes, it would stop every other writer of the
  store (runs, journals, an operator's ``incident ack``), not only recorders.
- PostgreSQL (a team's machines): a session advisory lock on a connection of
  its own; the server drops it when that connection ends, as the kernel drops
  an flock. The holder is named by its connection's application_name.

    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "upkeep.db"
    ...     with taking_turns(Location(f"sqlite:///{path}", path), "recorder", what="recording"):
    ...         (Path(folder) / "upkeep.db.recorder.lock").is_file()
    True
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from upkeep.errors import RunFailed
from upkeep.state import database
from upkeep.state.location import Location


@contextmanager
def taking_turns(
    location: Location,
    name: str,
    *,
    what: str,
    wait_seconds: float = 600.0,
    say: Callable[[str], None] = lambda _: None,
    lock_file: Path | None = None,
) -> Iterator[None]:
    """The block run while no one else holds turn ``name`` on ``location``'s store; a second
    comer waits up to ``wait_seconds``, saying so, then fails naming the holder.

    ``what`` names the runs in messages (``check run``); ``lock_file`` (SQLite) the
    flock's file, by default ``<store>.<name>.lock``."""
    where = str(location.path) if location.path is not None else location.url
    if location.path is not None:
        path = lock_file or location.path.with_name(f"{location.path.name}.{name}.lock")
        turns: AbstractTurns = _FileTurns(path, f"pid {os.getpid()}")  # one machine's file
    else:
        turns = _AdvisoryTurns(location, name, f"pid {os.getpid()} on {socket.gethostname()}")
    with turns:
        if not turns.take():
            holder = turns.holder()
            say(f"another {what} ({holder}) is recording into {where}: waiting for it")
            deadline = time.monotonic() + wait_seconds
            while not turns.take():
                if time.monotonic() >= deadline:
                    raise RunFailed(
                        f"another {what} ({holder}) has been recording into {where} "
                        f"for over {wait_seconds:.0f} s; not recording alongside it"
                    )
                time.sleep(0.2)
        yield


class AbstractTurns:
    def __enter__(self) -> AbstractTurns:
        return self

    def __exit__(self, *exc: object) -> None: ...

    def take(self) -> bool:
        raise NotImplementedError

    def holder(self) -> str:
        raise NotImplementedError


class _FileTurns(AbstractTurns):
    def __init__(self, path: Path, me: str) -> None:
        self._me = me
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = open(path, "a+")  # noqa: SIM115 (closed in __exit__)
        self._held = False

    def take(self) -> bool:
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self._held = True
        self._file.truncate(0)
        self._file.write(f"{self._me}\n")
        self._file.flush()
        return True

    def holder(self) -> str:
        self._file.seek(0)
        return self._file.read().strip() or "pid unknown"

    def __exit__(self, *exc: object) -> None:
        if self._held:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


class _AdvisoryTurns(AbstractTurns):
    def __init__(self, location: Location, name: str, me: str) -> None:
        # A key of its own per turn's name, apart from the migration lock's.
        self._key = zlib.crc32(f"upkeep turns {name}".encode())
        self._db = database.connect(location, busy_timeout=30.0)
        self._db.execute("SELECT set_config('application_name', ?, false)", (f"upkeep {me}"[:63],))
        self._held = False

    def take(self) -> bool:
        self._held = self._db.execute("SELECT pg_try_advisory_lock(?)", (self._key,))[0][0] is True
        return self._held

    def holder(self) -> str:
        rows = self._db.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = 0 "
            "AND l.objid::bigint = ? AND a.pid != pg_backend_pid()",
            (self._key,),
        )
        return str(rows[0][0]).removeprefix("upkeep ") if rows else "pid unknown"

    def __exit__(self, *exc: object) -> None:
        try:
            if self._held:
                self._db.execute("SELECT pg_advisory_unlock(?)", (self._key,))
        finally:
            self._db.close()
