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
    Migration(
        3,
        "the monitoring history in the store (it was monitor.db beside each machine's runs): "
        "check results, incidents and their acknowledgements, each check's state, checks' own "
        "memory (kv); counters make the ids, one number at a time for every writer",
        (
            """CREATE TABLE counters (
                name TEXT PRIMARY KEY,
                last BIGINT NOT NULL
            )""",
            "INSERT INTO counters (name, last) VALUES ('results', 0), ('incidents', 0)",
            """CREATE TABLE results (
                id BIGINT PRIMARY KEY,
                project TEXT NOT NULL,
                environment TEXT NOT NULL,
                check_name TEXT NOT NULL,
                at TEXT NOT NULL,
                status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
                summary TEXT NOT NULL,
                seconds DOUBLE PRECISION NOT NULL,
                kind TEXT NOT NULL,
                affects_availability INTEGER NOT NULL,
                in_maintenance INTEGER NOT NULL,
                metrics TEXT NOT NULL,
                details TEXT NOT NULL,
                headline TEXT NOT NULL DEFAULT '',
                cause TEXT NOT NULL DEFAULT '',
                location TEXT NOT NULL DEFAULT ''
            )""",
            "CREATE INDEX results_by_check ON results (project, environment, check_name, at)",
            "CREATE INDEX results_by_time ON results (at)",
            "CREATE INDEX results_by_cause ON results (project, environment, cause, at) "
            "WHERE cause != ''",
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
                resolved TEXT,
                details TEXT NOT NULL DEFAULT '[]',
                locations TEXT NOT NULL DEFAULT '[]'
            )""",
            "CREATE INDEX incidents_by_time ON incidents (opened, resolved)",
            "CREATE INDEX incidents_open ON incidents (project, environment) "
            "WHERE resolved IS NULL",
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
                streak_details TEXT,
                PRIMARY KEY (project, environment, check_name)
            )""",
            """CREATE TABLE kv (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL,
                updated TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        4,
        "notifications sent: each alert's delivery (when, incident, channel, the safe "
        "address, outcome, from which machine), so a second runner does not send it again "
        "and people can see who was told",
        (
            """CREATE TABLE notifications (
                incident_id INTEGER NOT NULL REFERENCES incidents (id),
                event TEXT NOT NULL,
                priority TEXT NOT NULL,
                channel TEXT NOT NULL,
                target TEXT NOT NULL,
                ok INTEGER NOT NULL,
                detail TEXT NOT NULL,
                at TEXT NOT NULL,
                machine TEXT NOT NULL
            )""",
            "CREATE INDEX notifications_by_incident ON notifications (incident_id, at)",
        ),
    ),
    Migration(
        5,
        "the pins' history's pointers: the pins commits each run made (the pins themselves "
        "stay in the operator's git repository, their history)",
        ("ALTER TABLE runs ADD COLUMN pins_commits TEXT NOT NULL DEFAULT '[]'",),
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
