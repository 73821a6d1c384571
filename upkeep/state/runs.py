"""The ``runs`` table: one row per upkeep command run, with the projects it was for.

Times are UTC text (``2026-12-06T16:14:23.000000Z``): sortable, readable in
any SQL shell, the same on every database.

    >>> at = dt.datetime(2026, 12, 6, 16, 14, 23, tzinfo=dt.UTC)
    >>> run = Run("r1", at, at, "ops@laptop", "laptop", "1.0", "refresh", ("shop",), "ok", 0, 0.5, ())
    >>> stamp(run.started), run.to_dict()["projects"]
    ('2026-12-06T16:14:23.000000Z', ['shop'])
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from upkeep.state.database import Database

_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
_COLUMNS = (
    "id, started, ended, who, machine, upkeep_version, command, status, exit_code, "
    "duration_seconds, reports, state_home, pins_commits"
)
STARTED = "started"  # a run's status until its end is recorded (a killed run's for good)


@dataclass(frozen=True)
class Run:
    """One command run as the store keeps it (``command``: its name, never its raw argv)."""

    id: str
    started: dt.datetime
    ended: dt.datetime
    who: str
    machine: str
    upkeep_version: str
    command: str
    projects: tuple[str, ...]
    status: str
    exit_code: int
    duration_seconds: float
    reports: tuple[str, ...]
    state_home: str = ""  # which of the machine's upkeep homes ran it (a CI runner's, a user's)
    # The pins commits it made, in the operator's repository: where its changes are recorded.
    pins_commits: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            started=stamp(self.started),
            ended=stamp(self.ended),
            projects=list(self.projects),
            reports=list(self.reports),
            pins_commits=list(self.pins_commits),
        )
        return data


def stamp(moment: dt.datetime) -> str:
    """``moment`` (aware) as the store's UTC text."""
    if moment.utcoffset() is None:
        raise ValueError(f"a run's time must be aware (with a time zone), got {moment}")
    return moment.astimezone(dt.UTC).strftime(_TIME)


def insert(db: Database, run: Run) -> None:
    """``run`` and its projects, inside the caller's transaction; a run recorded when it
    started gets its end (status, exit code, duration, reports) and any further projects."""
    db.execute(
        f"INSERT INTO runs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET ended = excluded.ended, status = excluded.status, "
        "exit_code = excluded.exit_code, duration_seconds = excluded.duration_seconds, "
        "reports = excluded.reports, pins_commits = excluded.pins_commits",
        (
            run.id,
            stamp(run.started),
            stamp(run.ended),
            run.who,
            run.machine,
            run.upkeep_version,
            run.command,
            run.status,
            run.exit_code,
            run.duration_seconds,
            json.dumps(list(run.reports)),
            run.state_home,
            json.dumps(list(run.pins_commits)),
        ),
    )
    db.executemany(
        "INSERT INTO run_projects (run_id, project) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(run.id, project) for project in dict.fromkeys(run.projects)],
    )


def select(
    db: Database, *, project: str | None, since: dt.datetime | None, limit: int
) -> list[Run]:
    """Runs started at or after ``since`` (for ``project``), newest first, at most ``limit``."""
    where, values = [], []
    if project is not None:
        where.append("id IN (SELECT run_id FROM run_projects WHERE project = ?)")
        values.append(project)
    if since is not None:
        where.append("started >= ?")
        values.append(stamp(since))
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM runs {clause}ORDER BY started DESC, id DESC LIMIT ?",
        (*values, limit),
    )
    projects: dict[str, list[str]] = {row[0]: [] for row in rows}
    if projects:
        marks = ", ".join("?" for _ in projects)
        for run_id, name in db.execute(
            f"SELECT run_id, project FROM run_projects WHERE run_id IN ({marks}) "
            "ORDER BY run_id, project",
            tuple(projects),
        ):
            projects[run_id].append(name)
    return [_run(row, tuple(projects[row[0]])) for row in rows]


def _run(row: tuple[Any, ...], projects: tuple[str, ...]) -> Run:
    run_id, started, ended, who, machine, version, command, status, code, seconds = row[:10]
    reports, home, pins_commits = row[10:]
    return Run(
        run_id,
        _time(started),
        _time(ended),
        who,
        machine,
        version,
        command,
        projects,
        status,
        int(code),
        float(seconds),
        tuple(json.loads(reports)),
        home,
        tuple(json.loads(pins_commits)),
    )


def _time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, _TIME).replace(tzinfo=dt.UTC)
