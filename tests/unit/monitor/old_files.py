"""Old monitoring histories as upkeep kept them before the state store (``monitor.db``,
schema 1 to 4), made for the import's tests.

    >>> len(OLD_MIGRATIONS)
    4
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

# Migration n took a file from user_version n to n + 1 (upkeep.monitor.history before the store).
OLD_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE results (
            id INTEGER PRIMARY KEY,
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            check_name TEXT NOT NULL,
            at TEXT NOT NULL,
            status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
            summary TEXT NOT NULL,
            seconds REAL NOT NULL,
            kind TEXT NOT NULL,
            affects_availability INTEGER NOT NULL,
            in_maintenance INTEGER NOT NULL,
            metrics TEXT NOT NULL,
            details TEXT NOT NULL
        )""",
        "CREATE INDEX results_by_check ON results (project, environment, check_name, at)",
        "CREATE INDEX results_by_time ON results (at)",
        """CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            check_name TEXT NOT NULL,
            priority TEXT NOT NULL,
            worst INTEGER NOT NULL,
            summary TEXT NOT NULL,
            opened TEXT NOT NULL,
            down_since TEXT,
            acknowledged TEXT,
            resolved TEXT
        )""",
        "CREATE INDEX incidents_by_time ON incidents (opened, resolved)",
        "CREATE INDEX incidents_open ON incidents (project, environment) WHERE resolved IS NULL",
        """CREATE TABLE check_state (
            project TEXT NOT NULL,
            environment TEXT NOT NULL,
            check_name TEXT NOT NULL,
            last_at TEXT,
            streak_ok INTEGER,
            streak_count INTEGER,
            streak_since TEXT,
            streak_priority TEXT,
            streak_worst INTEGER,
            streak_summary TEXT,
            streak_down_since TEXT,
            incident_id INTEGER REFERENCES incidents (id),
            PRIMARY KEY (project, environment, check_name)
        )""",
        """CREATE TABLE kv (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated TEXT NOT NULL
        )""",
    ),
    # One outage, one incident: a result names the check it follows from (upkeep.monitor.causes)
    # and its words for an incident's title; an incident keeps the raw output apart.
    (
        "ALTER TABLE results ADD COLUMN headline TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE results ADD COLUMN cause TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX results_by_cause ON results (project, environment, cause, at) "
        "WHERE cause != ''",
        "ALTER TABLE incidents ADD COLUMN details TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE check_state ADD COLUMN streak_details TEXT",
    ),
    # Checks taken from several places: each result says from where.
    ("ALTER TABLE results ADD COLUMN location TEXT NOT NULL DEFAULT ''",),
    # An incident names the locations that agreed it failed (upkeep.monitor.quorum).
    ("ALTER TABLE incidents ADD COLUMN locations TEXT NOT NULL DEFAULT '[]'",),
)


def old_history(path: Path, version: int = 4) -> sqlite3.Connection:
    """An empty history file at ``version``, open (WAL, as upkeep kept it); the caller adds rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    for statements in OLD_MIGRATIONS[:version]:
        for statement in statements:
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {version}")
    return db
