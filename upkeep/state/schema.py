"""The store's schema: a short list of versioned migrations, applied forward on open.

Why not Alembic: the store is a handful of tables written in portable SQL,
with no ORM to generate them from; a list of statements per version does the
same job without a second tool, its configuration and its environment to
carry. The versions applied are kept in a ``schema_migrations`` table (version
and when), not SQLite's ``PRAGMA user_version``, so the same list and the same
bookkeeping run on PostgreSQL. Keep the statements portable: TEXT, INTEGER,
DOUBLE PRECISION (SQLite reads it as REAL; PostgreSQL's REAL would round to
float4), plain indexes; ids are made by upkeep, not by the database.

    >>> [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))
    True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """Takes a store from ``version - 1`` to ``version``; ``purpose`` says why it exists."""

    version: int
    purpose: str
    statements: tuple[str, ...]


BOOKKEEPING = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
)"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "a record of every run: who, from where, what, for which projects, how it ended",
        (
            """CREATE TABLE runs (
                id TEXT PRIMARY KEY,
                started TEXT NOT NULL,
                ended TEXT NOT NULL,
                who TEXT NOT NULL,
                machine TEXT NOT NULL,
                upkeep_version TEXT NOT NULL,
                command TEXT NOT NULL,
                status TEXT NOT NULL,
                exit_code INTEGER NOT NULL,
                duration_seconds DOUBLE PRECISION NOT NULL,
                reports TEXT NOT NULL
            )""",
            "CREATE INDEX runs_by_time ON runs (started)",
            """CREATE TABLE run_projects (
                run_id TEXT NOT NULL REFERENCES runs (id),
                project TEXT NOT NULL,
                PRIMARY KEY (run_id, project)
            )""",
            "CREATE INDEX run_projects_by_project ON run_projects (project)",
        ),
    ),
    Migration(
        2,
        "run journals in the store, so a run started on one machine is resumed on another; "
        "each run's state home, to tell two runners on one machine apart",
        (
            """CREATE TABLE journals (
                job TEXT NOT NULL,
                run_key TEXT NOT NULL,
                run_id TEXT NOT NULL,
                state TEXT NOT NULL,
                machine TEXT NOT NULL,
                state_home TEXT NOT NULL,
                saved TEXT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (job, run_key)
            )""",
            "ALTER TABLE runs ADD COLUMN state_home TEXT NOT NULL DEFAULT ''",
        ),
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
