"""A fresh SQLite store opened by many connections at the same moment: each one opens it.

SQLite answers "locked" at once, without waiting out the busy timeout, to one of
two connections switching a fresh file to WAL together: 23 connections of 2,400
here (300 fresh files, eight connections each), so the test opens forty files.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from upkeep.state import sqlite

CONNECTIONS = 8
FRESH_FILES = 40


def test_connections_opening_a_fresh_file_together_all_get_wal(tmp_path: Path) -> None:
    def opened(path: Path, start: threading.Barrier) -> str:
        start.wait()
        db = sqlite.connect(
            path, "the store", "a store", busy_timeout=30.0, busy=lambda: TimeoutError(path)
        )
        try:
            return str(db.execute("PRAGMA journal_mode").fetchone()[0])
        finally:
            db.close()

    for n in range(FRESH_FILES):
        path = tmp_path / f"{n}.db"
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        start = threading.Barrier(CONNECTIONS)
        with ThreadPoolExecutor(CONNECTIONS) as pool:
            opening = [pool.submit(opened, path, start) for _ in range(CONNECTIONS)]
        modes = [each.result() for each in opening]
        assert modes == ["wal"] * CONNECTIONS, path
