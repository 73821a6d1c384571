"""A history written by an older upkeep (schema 1) is imported into the store, its rows kept:
results gain ``headline``, ``cause`` and ``location`` (none), incidents ``details`` and
``locations`` (none)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from tests.unit.monitor.old_files import OLD_MIGRATIONS
from upkeep.monitor.history import SCHEMA_VERSION, History
from upkeep.monitor.result import CheckResult, Status

AT = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)


def schema_1_history(path: Path) -> None:
    """A file as upkeep with schema 1 left it: one result, one open incident, its check state."""
    db = sqlite3.connect(path)
    for statement in OLD_MIGRATIONS[0]:
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO results (project, environment, check_name, at, status, summary, seconds, "
        "kind, affects_availability, in_maintenance, metrics, details) VALUES ('shop', "
        "'production', 'health', '2026-11-20T10:00:00.000000Z', 2, 'no response', 0, 'http', 1, "
        "0, '{}', '[]')"
    )
    db.execute(
        "INSERT INTO incidents (project, environment, check_name, priority, worst, summary, "
        "opened, down_since) VALUES ('shop', 'production', 'health', 'P1', 2, 'no response', "
        "'2026-11-20T10:00:00.000000Z', '2026-11-20T10:00:00.000000Z')"
    )
    db.execute(
        "INSERT INTO check_state (project, environment, check_name, last_at, streak_ok, "
        "streak_count, streak_since, streak_priority, streak_worst, streak_summary, incident_id) "
        "VALUES ('shop', 'production', 'health', '2026-11-20T10:00:00.000000Z', 0, 2, "
        "'2026-11-20T10:00:00.000000Z', 'P1', 2, 'no response', 1)"
    )
    db.commit()
    db.close()


def test_a_schema_1_file_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "monitor.db"
    schema_1_history(path)
    with History(path) as history:
        assert history.schema_version == SCHEMA_VERSION
        [kept] = history.results("shop", "production", "health", AT, AT + dt.timedelta(1))
        assert (
            kept.result.summary,
            kept.result.headline,
            kept.result.cause,
            kept.result.location,
        ) == ("no response", "", "", "")
        [incident] = history.open_incidents("shop")
        assert (incident.id, incident.summary, incident.details, incident.locations) == (
            1,
            "no response",
            (),
            (),
        )
        assert history.consequences(incident) == []
        # The incident machine carries on from the migrated state: an OK pair resolves it.
        ok = [
            CheckResult(
                "shop", "production", "health", Status.OK, "200", AT + dt.timedelta(minutes=m)
            )
            for m in (5, 10)
        ]
        [resolved] = history.record(ok)
        assert (resolved.incident.id, resolved.change.value) == (1, "resolved")
