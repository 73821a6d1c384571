"""Monitoring's memory: every result, the incidents they opened, and checks' own state, in SQLite.

One file (default ``<state home>/monitor.db``), in WAL mode with a busy
timeout. Each ``record`` is one write transaction that reads a check's state,
steps the incident machine (``upkeep.monitor.incidents``) and writes it back,
so no two writers interleave inside one check; and whole recording runs (a
timer's and an operator's) take turns (``one_recorder``), because each reads
the log cursors first and writes them last. The schema is created or migrated
on open (``PRAGMA user_version``); a newer file than this upkeep knows is
refused.

Times are stored as UTC text (``2026-11-23T09:00:00.000000Z``, sortable and
readable with the sqlite3 shell). Summaries and details pass through
``upkeep.credentials.redact`` on the way in.

    >>> import tempfile
    >>> at = lambda minute: dt.datetime(2026, 11, 23, 9, minute, tzinfo=dt.UTC)
    >>> result = lambda minute, status: CheckResult("demo", "production", "health", status,
    ...                                             status.name, at=at(minute))
    >>> with tempfile.TemporaryDirectory() as folder, History(Path(folder) / "m.db") as history:
    ...     first = history.record([result(0, Status.CRITICAL)])
    ...     second = history.record([result(5, Status.CRITICAL)])
    ...     [(t.change.value, t.incident.id, t.incident.opened.minute) for t in first + second]
    [('opened', 1, 0)]
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, TypeVar

from upkeep.credentials import redact
from upkeep.errors import RunFailed, UsageError
from upkeep.inventory.priority import Priority
from upkeep.monitor.causes import attribute
from upkeep.monitor.evaluate import severity
from upkeep.monitor.incidents import (
    DEFAULT_POLICY,
    Change,
    CheckState,
    Consequence,
    Incident,
    IncidentPolicy,
    Streak,
    Transition,
    never,
    step,
)
from upkeep.monitor.quorum import Quorum, agree
from upkeep.monitor.result import CheckResult, Metric, Status
from upkeep.state import sqlite
from upkeep.workspace import state_home

SCHEMA_VERSION = 4
_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
_TIME_EXAMPLE = "2026-11-20T16:30:00.000000Z"
# A stored result's columns, in the order ``_recorded`` reads them.
_RESULT_COLUMNS = (
    "id, project, environment, check_name, at, status, summary, seconds, kind, "
    "affects_availability, in_maintenance, metrics, details, headline, cause, location"
)
_T = TypeVar("_T")

# Migration n takes a file from user_version n to n + 1. Statements, not a
# script: executescript() would commit in the middle of the transaction.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
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
assert len(_MIGRATIONS) == SCHEMA_VERSION


def default_path() -> Path:
    return state_home() / "monitor.db"


@contextmanager
def one_recorder(
    path: Path, *, wait_seconds: float = 600.0, say: Callable[[str], None] = lambda _: None
) -> Iterator[None]:
    """Recording runs into ``path`` one at a time; a second waits for the first.

    A run reads the log cursors when it starts and writes them when it ends:
    two at once would both report the same new log lines and count them twice
    towards an incident. The lock is an flock on a file beside the history,
    so the kernel drops it when its holder dies and a crashed run blocks nobody.
    """
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as lock:
        if not _try_lock(lock):
            holder = _holder(lock)
            say(f"another check run ({holder}) is recording into {path}: waiting for it")
            deadline = time.monotonic() + wait_seconds
            while not _try_lock(lock):
                if time.monotonic() >= deadline:
                    raise RunFailed(
                        f"another check run ({holder}) has been recording into {path} for "
                        f"over {wait_seconds:.0f} s; not recording alongside it"
                    )
                time.sleep(0.2)
        lock.truncate(0)
        lock.write(f"pid {os.getpid()}\n")
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _try_lock(lock: IO[str]) -> bool:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(lock: IO[str]) -> str:
    lock.seek(0)
    return lock.read().strip() or "pid unknown"


@dataclass(frozen=True)
class Recorded:
    """A stored result, with whether it fell in a maintenance window."""

    id: int
    result: CheckResult
    in_maintenance: bool


PolicyFor = IncidentPolicy | Callable[[CheckResult], IncidentPolicy]


class History(sqlite.Closing):
    """The monitoring database; open it, use it, close it (or use it as a context manager)."""

    def __init__(self, path: Path | None = None, *, busy_timeout: float = 30.0) -> None:
        self.path = path if path is not None else default_path()
        self.busy_timeout = busy_timeout
        self._db = self._open()

    # ---- opening and closing ----------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        return sqlite.connect(
            self.path,
            "the monitoring history",
            "a monitoring history database",
            busy_timeout=self.busy_timeout,
            busy=self._busy,
            prepare=self._migrate,
        )

    def _migrate(self, db: sqlite3.Connection) -> None:
        if _version(db) == SCHEMA_VERSION:
            return
        with sqlite.write_transaction(db, self._busy):
            version = _version(db)  # another process may have migrated meanwhile
            if version > SCHEMA_VERSION:
                raise UsageError(
                    f"{self.path}: written by a newer upkeep (schema {version}, this one "
                    f"knows {SCHEMA_VERSION}); upgrade upkeep or choose another path"
                )
            for statements in _MIGRATIONS[version:]:
                for statement in statements:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        return _version(self._db)

    def _busy(self) -> RunFailed:
        return RunFailed(
            f"{self.path}: the monitoring history stayed busy for {self.busy_timeout:g}s "
            "(another upkeep run is writing to it); try again"
        )

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction, taken at once so two runs queue instead of deadlocking."""
        return sqlite.write_transaction(self._db, self._busy)

    # ---- recording ----------------------------------------------------------------

    def record(
        self,
        results: Sequence[CheckResult],
        *,
        policy: PolicyFor = DEFAULT_POLICY,
        in_maintenance: Callable[[CheckResult], bool] = never,
    ) -> list[Transition]:
        """Store every result and return the incident transitions they caused, oldest first.

        ``policy`` gives the thresholds (one for all, or per result: per
        project, say); ``in_maintenance`` says which results fell in a window.
        Consequences of a more basic failure in the same run are marked first
        (upkeep.monitor.causes): they open no incident of their own.
        """
        policy_for = policy if callable(policy) else (lambda _: policy)
        transitions: list[Transition] = []
        with self._write() as db:
            states: dict[tuple[str, str, str], CheckState] = {}
            for result in sorted(attribute(results), key=lambda r: _utc(r.at, "a result's time")):
                result = _redacted(result)
                muted = bool(in_maintenance(result))
                _insert_result(db, result, muted)
                before = states.get(result.key) or self._load_state(db, result.key)
                rules = policy_for(result)
                agreed = agree(_other_locations(db, result, rules.quorum), result, rules.quorum)
                after, transition = step(before, agreed.result, rules, muted, agreed.locations)
                after, transition = _store_incident(db, before, after, transition)
                states[result.key] = after
                if transition is not None:
                    transitions.append(transition)
            for key, state in states.items():
                _save_state(db, key, state)
        return transitions

    def _load_state(self, db: sqlite3.Connection, key: tuple[str, str, str]) -> CheckState:
        row = db.execute(
            "SELECT last_at, streak_ok, streak_count, streak_since, streak_priority, "
            "streak_worst, streak_summary, streak_down_since, incident_id, streak_details "
            "FROM check_state WHERE project = ? AND environment = ? AND check_name = ?",
            key,
        ).fetchone()
        if row is None:
            return CheckState()
        last_at, ok, count, since, priority, worst, summary, down_since, incident_id = row[:9]
        streak = None
        if ok is not None:
            streak = Streak(
                ok=bool(ok),
                count=count,
                since=_time(since),
                priority=Priority(priority) if priority else None,
                worst=Status(worst),
                summary=summary,
                down_since=_time_or_none(down_since),
                details=tuple(json.loads(row[9] or "[]")),
            )
        incident = self._incident(db, incident_id) if incident_id is not None else None
        return CheckState(_time_or_none(last_at), streak, incident)

    # ---- queries --------------------------------------------------------------------

    def results(
        self,
        project: str,
        environment: str,
        check: str,
        start: dt.datetime,
        end: dt.datetime,
    ) -> list[Recorded]:
        """The check's results with ``start <= at < end``, oldest first."""
        rows = self._db.execute(
            f"SELECT {_RESULT_COLUMNS} FROM results "
            "WHERE project = ? AND environment = ? AND check_name = ? AND at >= ? AND at < ? "
            "ORDER BY at, id",
            (project, environment, check, _stamp(start, "start"), _stamp(end, "end")),
        ).fetchall()
        return [_recorded(row) for row in rows]

    def last_result(self, project: str, environment: str, kind: str) -> Recorded | None:
        """The newest result of any check of ``kind`` (``tls``, say) there; None if none."""
        row = self._db.execute(
            f"SELECT {_RESULT_COLUMNS} FROM results "
            "WHERE project = ? AND environment = ? AND kind = ? ORDER BY at DESC, id DESC LIMIT 1",
            (project, environment, kind),
        ).fetchone()
        return None if row is None else _recorded(row)

    def watched(
        self, project: str, environment: str, start: dt.datetime, end: dt.datetime
    ) -> list[dt.datetime]:
        """When a result could see the site down and gave a verdict, ``start <= at < end``.

        These are the moments the SLA counts as observation
        (upkeep.sla.availability.observations): results of checks whose
        failure is downtime (the site's HTTP checks, services, the database),
        OK, WARNING or CRITICAL; an UNKNOWN ("could not check") watched nothing.
        """
        rows = self._db.execute(
            "SELECT DISTINCT at FROM results WHERE project = ? AND environment = ? "
            "AND affects_availability = 1 AND status != ? AND at >= ? AND at < ? ORDER BY at",
            (project, environment, int(Status.UNKNOWN), _stamp(start, "start"), _stamp(end, "end")),
        ).fetchall()
        return [_column("at", row[0], _time, f"a UTC time like {_TIME_EXAMPLE}") for row in rows]

    def locations(
        self, project: str, environment: str, start: dt.datetime, end: dt.datetime
    ) -> list[str]:
        """The named locations results came from, ``start <= at < end``, sorted (for the SLA)."""
        rows = self._db.execute(
            "SELECT DISTINCT location FROM results WHERE project = ? AND environment = ? "
            "AND location != '' AND at >= ? AND at < ? ORDER BY location",
            (project, environment, _stamp(start, "start"), _stamp(end, "end")),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def consequences(self, incident: Incident) -> list[Consequence]:
        """The checks that failed only because of ``incident``'s check while it was open,
        in the order they first did (upkeep.monitor.causes)."""
        rows = self._db.execute(
            "SELECT check_name, at, status, summary, headline FROM results "
            "WHERE project = ? AND environment = ? AND cause = ? AND at >= ? "
            "AND (? IS NULL OR at < ?) ORDER BY at, id",
            (
                incident.project,
                incident.environment,
                incident.check,
                _stamp(incident.opened, "opened"),
                _stamp_or_none(incident.resolved),
                _stamp_or_none(incident.resolved),
            ),
        ).fetchall()
        found: dict[str, Consequence] = {}
        for check, at, status, summary, headline in rows:
            moment, status = _time(at), Status(status)
            seen = found.get(check)
            worst = (
                status if seen is None or severity(status) > severity(seen.worst) else seen.worst
            )
            first = moment if seen is None else seen.first
            found[check] = Consequence(check, worst, first, moment, headline or summary)
        return list(found.values())

    def open_incidents(
        self, project: str | None = None, environment: str | None = None
    ) -> list[Incident]:
        """Incidents not resolved yet, oldest first."""
        where, params = _filter(project, environment)
        return self._incidents(f"resolved IS NULL{where}", params)

    def incidents(
        self,
        start: dt.datetime,
        end: dt.datetime,
        project: str | None = None,
        environment: str | None = None,
    ) -> list[Incident]:
        """Incidents open at some moment of [start, end) (for the SLA report), oldest first.

        The times are compared once read, not as text in SQL: a row whose time
        does not parse would fall out of a text comparison unseen and make the
        month look better than it was; read, it is refused naming the row.
        """
        where, params = _filter(project, environment)
        every = self._incidents(f"1 = 1{where}", params)
        return [i for i in every if i.opened < end and (i.resolved is None or i.resolved > start)]

    def incident(self, incident_id: int) -> Incident:
        """The incident with this number, or a UsageError saying which there are."""
        found = self._incident(self._db, incident_id)
        if found is None:
            open_ones = ", ".join(str(i.id) for i in self.open_incidents()[:20]) or "none"
            raise UsageError(f"no incident {incident_id} in {self.path} (open ones: {open_ones})")
        return found

    def _incident(self, db: sqlite3.Connection, incident_id: int) -> Incident | None:
        found = self._incidents("id = ?", (incident_id,), db)
        return found[0] if found else None

    def _incidents(
        self, where: str, params: Sequence[Any], db: sqlite3.Connection | None = None
    ) -> list[Incident]:
        rows = (db or self._db).execute(
            "SELECT id, project, environment, check_name, priority, worst, summary, opened, "
            f"down_since, acknowledged, resolved, details, locations FROM incidents WHERE {where} "
            "ORDER BY opened, id",
            tuple(params),
        )
        return [self._read_incident(row) for row in rows.fetchall()]

    def _read_incident(self, row: Sequence[Any]) -> Incident:
        """One row as an incident, or a UsageError naming the row and what is wrong in it."""
        try:
            return _incident(row)
        except BadColumn as error:
            raise UsageError(
                f"{self.path}: table incidents, id {row[0]}, {error}; correct or delete that "
                "row (sqlite3), the history cannot be reported on as it is"
            ) from None

    # ---- changes by hand ------------------------------------------------------------

    def acknowledge(self, incident_id: int, at: dt.datetime) -> Incident:
        """Someone responded (the SLA's first response); the first acknowledgement stays."""
        stamp = _stamp(at, "at")
        with self._write() as db:
            incident = self._incident(db, incident_id)
            if incident is None:
                raise UsageError(f"no incident {incident_id} in {self.path}")
            if at < incident.opened:
                raise UsageError(
                    f"incident {incident_id} opened at {_stamp(incident.opened, 'opened')}; "
                    f"it cannot be acknowledged before that ({stamp})"
                )
            if incident.acknowledged is not None:
                return incident
            db.execute("UPDATE incidents SET acknowledged = ? WHERE id = ?", (stamp, incident_id))
        return replace(incident, acknowledged=_time(stamp))

    def prune(self, before: dt.datetime) -> int:
        """Delete results older than ``before`` (incidents stay); how many went."""
        with self._write() as db:
            cursor = db.execute("DELETE FROM results WHERE at < ?", (_stamp(before, "before"),))
        return cursor.rowcount

    # ---- checks' own memory ---------------------------------------------------------

    def get_state(self, key: str) -> str | None:
        """What a check stored under ``key`` (a log cursor, say), or None."""
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (_key(key),)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"state {key!r}: the value must be text, got {type(value).__name__}")
        now = _stamp(dt.datetime.now(dt.UTC), "now")
        with self._write() as db:
            db.execute(
                "INSERT INTO kv (key, value, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                (_key(key), value, now),
            )


# ---- rows <-> values ----------------------------------------------------------------


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _utc(moment: dt.datetime, what: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime (with a time zone), got {moment}")
    return moment.astimezone(dt.UTC)


def _stamp(moment: dt.datetime, what: str) -> str:
    return _utc(moment, what).strftime(_TIME)


def _time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, _TIME).replace(tzinfo=dt.UTC)


def _time_or_none(text: str | None) -> dt.datetime | None:
    return None if text is None else _time(text)


def _stamp_or_none(moment: dt.datetime | None) -> str | None:
    return None if moment is None else _stamp(moment, "time")


def _key(key: str) -> str:
    if not isinstance(key, str) or not key or len(key) > 500:
        raise ValueError(f"a state key must be text of 1-500 characters, got {key!r:.80}")
    return key


def _filter(project: str | None, environment: str | None) -> tuple[str, list[str]]:
    where, params = "", list[str]()
    if project is not None:
        where, params = where + " AND project = ?", [*params, project]
    if environment is not None:
        where, params = where + " AND environment = ?", [*params, environment]
    return where, params


def _redacted(result: CheckResult) -> CheckResult:
    summary, details = redact(result.summary), tuple(redact(d) for d in result.details)
    if summary == result.summary and details == result.details:
        return result
    return replace(result, summary=summary, details=details)


def _insert_result(db: sqlite3.Connection, result: CheckResult, in_maintenance: bool) -> None:
    # Every Metric field by name, so fields added later round-trip too.
    metrics = {name: asdict(metric) for name, metric in result.metrics.items()}
    db.execute(
        "INSERT INTO results (project, environment, check_name, at, status, summary, seconds, "
        "kind, affects_availability, in_maintenance, metrics, details, headline, cause, "
        "location) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            result.project,
            result.environment,
            result.check,
            _stamp(result.at, "a result's time"),
            int(result.status),
            result.summary,
            float(result.seconds),
            result.kind,
            int(result.affects_availability),
            int(in_maintenance),
            json.dumps(metrics, sort_keys=True),
            json.dumps(list(result.details)),
            result.headline,
            result.cause,
            result.location,
        ),
    )


def _recorded(row: Sequence[Any]) -> Recorded:
    (id_, project, environment, check, at, status, summary, seconds, kind, affects, muted) = row[
        :11
    ]
    known = {f.name for f in fields(Metric)}
    metrics = {
        name: Metric(**{k: v for k, v in stored.items() if k in known})
        for name, stored in json.loads(row[11]).items()
    }
    result = CheckResult(
        project=project,
        environment=environment,
        check=check,
        status=Status(status),
        summary=summary,
        at=_time(at),
        seconds=seconds,
        kind=kind,
        affects_availability=bool(affects),
        metrics=MappingProxyType(metrics),
        details=tuple(json.loads(row[12])),
        headline=row[13],
        cause=row[14],
        location=row[15],
    )
    return Recorded(id_, result, bool(muted))


def _lines(text: Any) -> tuple[str, ...]:
    lines = json.loads(text)
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise ValueError(f"not a list of text: {text!r}")
    return tuple(lines)


class BadColumn(ValueError):
    """A stored value that does not read as its column's type (the message names both)."""


def _column(name: str, text: Any, read: Callable[[Any], _T], wanted: str) -> _T:
    try:
        return read(text)
    except (ValueError, TypeError):
        raise BadColumn(f"column {name} holds {text!r}, not {wanted}") from None


def _incident(row: Sequence[Any]) -> Incident:
    id_, project, environment, check, priority, worst, summary = row[:7]
    opened, down_since, acknowledged, resolved, details, locations = row[7:]

    def moment(name: str, text: str | None) -> dt.datetime | None:
        return _column(name, text, _time_or_none, f"a UTC time like {_TIME_EXAMPLE}")

    return Incident(
        project=project,
        environment=environment,
        check=check,
        opened=_column("opened", opened, _time, f"a UTC time like {_TIME_EXAMPLE}"),
        priority=_column("priority", priority, Priority, "a priority P1 to P4"),
        worst=_column("worst", worst, Status, "a check status (0 to 3)"),
        summary=summary,
        down_since=moment("down_since", down_since),
        resolved=moment("resolved", resolved),
        acknowledged=moment("acknowledged", acknowledged),
        id=id_,
        details=_column("details", details, _lines, "a JSON list of text"),
        locations=_column("locations", locations, _lines, "a JSON list of text"),
    )


def _store_incident(
    db: sqlite3.Connection,
    before: CheckState,
    after: CheckState,
    transition: Transition | None,
) -> tuple[CheckState, Transition | None]:
    """Write what the step changed about the check's incident; give a new one its id."""
    if transition is not None and transition.change is Change.OPENED:
        incident = transition.incident
        cursor = db.execute(
            "INSERT INTO incidents (project, environment, check_name, priority, worst, summary, "
            "opened, down_since, details, locations) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                incident.project,
                incident.environment,
                incident.check,
                incident.priority.value,
                int(incident.worst),
                incident.summary,
                _stamp(incident.opened, "opened"),
                _stamp_or_none(incident.down_since),
                json.dumps(list(incident.details)),
                json.dumps(list(incident.locations)),
            ),
        )
        stored = replace(incident, id=cursor.lastrowid)
        return replace(after, incident=stored), replace(transition, incident=stored)
    changed = transition.incident if transition is not None else after.incident
    if changed is not None and changed != before.incident:
        # Only the machine's own columns: an acknowledgement made meanwhile stays.
        db.execute(
            "UPDATE incidents SET priority = ?, worst = ?, summary = ?, down_since = ?, "
            "resolved = ?, details = ?, locations = ? WHERE id = ?",
            (
                changed.priority.value,
                int(changed.worst),
                changed.summary,
                _stamp_or_none(changed.down_since),
                _stamp_or_none(changed.resolved),
                json.dumps(list(changed.details)),
                json.dumps(list(changed.locations)),
                changed.id,
            ),
        )
    return after, transition


def _other_locations(
    db: sqlite3.Connection, result: CheckResult, quorum: Quorum
) -> list[CheckResult]:
    """Other locations' results for ``result``'s check within the quorum's window up to it
    (upkeep.monitor.quorum.agree picks each one's newest, on values). None from one place."""
    since, until = _stamp(result.at - quorum.window, "since"), _stamp(result.at, "at")
    rows = db.execute(
        f"SELECT {_RESULT_COLUMNS} FROM results WHERE project = ? AND environment = ? "
        "AND check_name = ? AND at > ? AND at <= ? AND location != ? ORDER BY at DESC, id DESC",
        (*result.key, since, until, result.location),
    ).fetchall()
    return [_recorded(row).result for row in rows]


def _save_state(db: sqlite3.Connection, key: tuple[str, str, str], state: CheckState) -> None:
    streak = state.streak
    db.execute(
        "INSERT OR REPLACE INTO check_state (project, environment, check_name, last_at, "
        "streak_ok, streak_count, streak_since, streak_priority, streak_worst, streak_summary, "
        "streak_down_since, incident_id, streak_details) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            *key,
            _stamp_or_none(state.last_at),
            None if streak is None else int(streak.ok),
            None if streak is None else streak.count,
            None if streak is None else _stamp(streak.since, "since"),
            None if streak is None or streak.priority is None else streak.priority.value,
            None if streak is None else int(streak.worst),
            None if streak is None else streak.summary,
            None if streak is None else _stamp_or_none(streak.down_since),
            None if state.incident is None else state.incident.id,
            None if streak is None else json.dumps(list(streak.details)),
        ),
    )
