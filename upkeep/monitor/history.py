"""Monitoring's memory: every result, the incidents they opened, and checks' own state.

Kept in the one state store (upkeep.state: SQLite by default, PostgreSQL with
UPKEEP_DATABASE_URL), so checks run from CI runners share one past; or, with
``History(PATH)`` (``--history PATH``), in an SQLite store file of its own. A
history kept the old way (``<state home>/monitor.db``, or an old file given as
PATH) is imported on first use (upkeep.monitor.old_history).

Each ``record`` is one write transaction that reads a check's state, steps the
incident machine (``upkeep.monitor.incidents``) and writes it back, so no two
writers interleave inside one check; and whole recording runs (a timer's, an
operator's, another CI runner's) take turns (``one_recorder``), because each
reads the log cursors first and writes them last. Ids come from the store's
counters (upkeep.state.counters), so incident numbers stay dense on both engines.

Times are stored as UTC text (``2026-11-23T09:00:00.000000Z``), which sorts the
same on both engines and reads well in any SQL shell. Summaries and details
pass through ``upkeep.credentials.redact`` on the way in.

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
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Self, TypeVar

from upkeep.credentials import redact
from upkeep.errors import UsageError
from upkeep.inventory.priority import Priority
from upkeep.monitor import notifications, old_history
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
from upkeep.monitor.notifications import Told
from upkeep.monitor.quorum import Quorum, agree
from upkeep.monitor.result import CheckResult, Metric, Status
from upkeep.notify import Delivery
from upkeep.state import Location, Store, locate
from upkeep.state.counters import take
from upkeep.state.database import Database
from upkeep.state.schema import SCHEMA_VERSION
from upkeep.state.turns import taking_turns

__all__ = ["SCHEMA_VERSION", "History", "Recorded", "default_path", "one_recorder"]

_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
_TIME_EXAMPLE = "2026-11-20T16:30:00.000000Z"
# A stored result's columns, in the order ``_recorded`` reads them.
_RESULT_COLUMNS = (
    "id, project, environment, check_name, at, status, summary, seconds, kind, "
    "affects_availability, in_maintenance, metrics, details, headline, cause, location"
)
_T = TypeVar("_T")
# Recording's read-then-write of the checks' state, one transaction at a time on any engine.
_RECORDING = 0x75706B72  # "upkr"

Where = Path | Location | None


def default_path() -> Path:
    """Where a machine kept its history before the store (imported on first use)."""
    return old_history.default_path()


def where_kept(where: Where) -> Location:
    """The store a history lives in: ``where`` itself, an SQLite store file at a path,
    or (None) the state store UPKEEP_DATABASE_URL names."""
    if where is None:
        return locate()
    if isinstance(where, Path):
        return Location(f"sqlite:///{where}", where)
    return where


@contextmanager
def one_recorder(
    where: Where = None, *, wait_seconds: float = 600.0, say: Callable[[str], None] = lambda _: None
) -> Iterator[None]:
    """Recording runs into the history at ``where`` one at a time; a second waits for the first.

    A run reads the log cursors when it starts and writes them when it ends:
    two at once would both report the same new log lines and count them twice
    towards an incident. Across machines sharing a PostgreSQL store, too
    (upkeep.state.turns says how, and why not a transaction).
    """
    with taking_turns(
        where_kept(where), "recorder", what="check run", wait_seconds=wait_seconds, say=say
    ):
        yield


@dataclass(frozen=True)
class Recorded:
    """A stored result, with whether it fell in a maintenance window."""

    id: int
    result: CheckResult
    in_maintenance: bool


PolicyFor = IncidentPolicy | Callable[[CheckResult], IncidentPolicy]


class History:
    """The monitoring history; open it, use it, close it (or use it as a context manager).

    ``where``: None for the state store (UPKEEP_DATABASE_URL, or SQLite in the state
    home), a path for an SQLite store file of its own, or a store's Location.
    """

    def __init__(self, where: Where = None, *, busy_timeout: float = 30.0) -> None:
        self.location = where_kept(where)
        self.path = self.location.path  # None on PostgreSQL
        self.where = str(self.path) if self.path is not None else self.location.url
        self.busy_timeout = busy_timeout
        # An old history at the path itself makes way for the store it goes into.
        claimed = old_history.claim(self.path) if self.path is not None else None
        if where is None:
            claimed = claimed or old_history.claim(default_path())
        self._store = Store(self.location, busy_timeout=busy_timeout)
        self._db = self._store.database
        if claimed is not None:
            try:
                old_history.bring_in(self._db, claimed)
            except BaseException:
                self.close()
                raise

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._store.schema_version

    def kept(self) -> bool:
        """Whether anything was ever recorded here (pruning keeps the checks' state)."""
        return bool(self._db.execute("SELECT 1 FROM check_state LIMIT 1"))

    def _write(self) -> AbstractContextManager[Database]:
        """One write transaction (SQLite: taken at once, so two runs queue)."""
        return self._db.transaction()

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
        rows: list[tuple[Any, ...]] = []
        with self._write() as db:
            db.one_writer(_RECORDING)  # two at once would step one state twice: two incidents
            ordered = sorted(attribute(results), key=lambda r: _utc(r.at, "a result's time"))
            states = self._load_states(db, {result.key for result in ordered})
            batch: list[CheckResult] = []  # written at the end, read here as if already stored
            for result in ordered:
                result = _redacted(result)
                muted = bool(in_maintenance(result))
                rows.append(_result_row(result, muted))
                before = states[result.key]
                rules = policy_for(result)
                others = _other_locations(db, result, rules.quorum, batch)
                batch.append(result)
                agreed = agree(others, result, rules.quorum)
                after, transition = step(before, agreed.result, rules, muted, agreed.locations)
                after, transition = _store_incident(db, before, after, transition)
                states[result.key] = after
                if transition is not None:
                    transitions.append(transition)
            _save_states(db, states)
            if rows:  # one round trip for the run's results, their ids taken at once
                first = take(db, "results", len(rows))
                db.executemany(
                    f"INSERT INTO results ({_RESULT_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(first + n, *row) for n, row in enumerate(rows)],
                )
        return transitions

    def _load_states(
        self, db: Database, keys: set[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], CheckState]:
        """The checks' states, a query per project and environment and one for their
        incidents: a check run's batch in a few round trips, not two per check."""
        found: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        for place in sorted({key[:2] for key in keys}):
            for row in db.execute(
                f"SELECT project, environment, check_name, {', '.join(_STATE_COLUMNS)} "
                "FROM check_state WHERE project = ? AND environment = ?",
                place,
            ):
                if row[:3] in keys:
                    found[(row[0], row[1], row[2])] = row[3:]
        numbers = sorted({row[8] for row in found.values() if row[8] is not None})
        marks = ", ".join("?" for _ in numbers)
        incidents = (
            {i.id: i for i in self._incidents(f"id IN ({marks})", numbers, db)} if numbers else {}
        )
        return {key: _state(found.get(key), incidents) for key in keys}

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
        )
        return [_recorded(row) for row in rows]

    def last_result(self, project: str, environment: str, kind: str) -> Recorded | None:
        """The newest result of any check of ``kind`` (``tls``, say) there; None if none."""
        rows = self._db.execute(
            f"SELECT {_RESULT_COLUMNS} FROM results "
            "WHERE project = ? AND environment = ? AND kind = ? ORDER BY at DESC, id DESC LIMIT 1",
            (project, environment, kind),
        )
        return _recorded(rows[0]) if rows else None

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
        )
        return [_column("at", row[0], _time, f"a UTC time like {_TIME_EXAMPLE}") for row in rows]

    def locations(
        self, project: str, environment: str, start: dt.datetime, end: dt.datetime
    ) -> list[str]:
        """The named locations results came from, ``start <= at < end``, sorted (for the SLA)."""
        rows = self._db.execute(
            "SELECT DISTINCT location FROM results WHERE project = ? AND environment = ? "
            "AND location != '' AND at >= ? AND at < ? ORDER BY location",
            (project, environment, _stamp(start, "start"), _stamp(end, "end")),
        )
        return [str(row[0]) for row in rows]

    def consequences(self, incident: Incident) -> list[Consequence]:
        """The checks that failed only because of ``incident``'s check while it was open,
        in the order they first did (upkeep.monitor.causes)."""
        # A resolved incident's end as a bound of its own: PostgreSQL cannot type "? IS NULL".
        until = "" if incident.resolved is None else " AND at < ?"
        rows = self._db.execute(
            "SELECT check_name, at, status, summary, headline FROM results "
            f"WHERE project = ? AND environment = ? AND cause = ? AND at >= ?{until} "
            "ORDER BY at, id",
            (
                incident.project,
                incident.environment,
                incident.check,
                _stamp(incident.opened, "opened"),
                *([] if incident.resolved is None else [_stamp(incident.resolved, "resolved")]),
            ),
        )
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
            raise UsageError(f"no incident {incident_id} in {self.where} (open ones: {open_ones})")
        return found

    def _incident(self, db: Database, incident_id: int) -> Incident | None:
        found = self._incidents("id = ?", (incident_id,), db)
        return found[0] if found else None

    def _incidents(
        self, where: str, params: Sequence[Any], db: Database | None = None
    ) -> list[Incident]:
        rows = (db or self._db).execute(
            "SELECT id, project, environment, check_name, priority, worst, summary, opened, "
            f"down_since, acknowledged, resolved, details, locations FROM incidents WHERE {where} "
            "ORDER BY opened, id",
            tuple(params),
        )
        return [self._read_incident(row) for row in rows]

    def _read_incident(self, row: Sequence[Any]) -> Incident:
        """One row as an incident, or a UsageError naming the row and what is wrong in it."""
        try:
            return _incident(row)
        except BadColumn as error:
            raise UsageError(
                f"{self.where}: table incidents, id {row[0]}, {error}; correct or delete that "
                "row (an SQL shell), the history cannot be reported on as it is"
            ) from None

    # ---- changes by hand ------------------------------------------------------------

    def acknowledge(self, incident_id: int, at: dt.datetime) -> Incident:
        """Someone responded (the SLA's first response); the first acknowledgement stays."""
        stamp = _stamp(at, "at")
        with self._write() as db:
            incident = self._incident(db, incident_id)
            if incident is None:
                raise UsageError(f"no incident {incident_id} in {self.where}")
            if at < incident.opened:
                raise UsageError(
                    f"incident {incident_id} opened at {_stamp(incident.opened, 'opened')}; "
                    f"it cannot be acknowledged before that ({stamp})"
                )
            if incident.acknowledged is not None:
                return incident
            # Only if still unacknowledged: another machine's ack may have come meanwhile.
            db.execute(
                "UPDATE incidents SET acknowledged = ? WHERE id = ? AND acknowledged IS NULL",
                (stamp, incident_id),
            )
            stored = self._incident(db, incident_id)
        return stored if stored is not None else replace(incident, acknowledged=_time(stamp))

    def prune(self, before: dt.datetime) -> int:
        """Delete results older than ``before`` (incidents stay); how many went."""
        with self._write() as db:
            gone = db.execute(
                "DELETE FROM results WHERE at < ? RETURNING id", (_stamp(before, "before"),)
            )
        return len(gone)

    # ---- notifications sent (upkeep.monitor.alerts) ------------------------------------

    def told(self, incident_id: int) -> list[Told]:
        """Who was told of the incident's events, how and by which machine; oldest first."""
        return notifications.told(self._db, incident_id)

    def note_told(
        self, incident_id: int, event: str, priority: str, sent: Sequence[Delivery]
    ) -> None:
        with self._write() as db:
            notifications.note(db, incident_id, event, priority, sent)

    # ---- checks' own memory ---------------------------------------------------------

    def get_state(self, key: str) -> str | None:
        """What a check stored under ``key`` (a log cursor, say), or None."""
        rows = self._db.execute("SELECT value FROM kv WHERE key = ?", (_key(key),))
        return str(rows[0][0]) if rows else None

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


def _state(row: Sequence[Any] | None, incidents: dict[int | None, Incident]) -> CheckState:
    """A check_state row (its _STATE_COLUMNS) as the incident machine's state."""
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
    incident = incidents.get(incident_id) if incident_id is not None else None
    return CheckState(_time_or_none(last_at), streak, incident)


def _result_row(result: CheckResult, in_maintenance: bool) -> tuple[Any, ...]:
    """The result's columns after its id, as ``_RESULT_COLUMNS`` lists them."""
    # Every Metric field by name, so fields added later round-trip too.
    metrics = {name: asdict(metric) for name, metric in result.metrics.items()}
    return (
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
    db: Database,
    before: CheckState,
    after: CheckState,
    transition: Transition | None,
) -> tuple[CheckState, Transition | None]:
    """Write what the step changed about the check's incident; give a new one its id."""
    if transition is not None and transition.change is Change.OPENED:
        incident = transition.incident
        number = take(db, "incidents")
        db.execute(
            "INSERT INTO incidents (id, project, environment, check_name, priority, worst, "
            "summary, opened, down_since, details, locations) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                number,
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
        stored = replace(incident, id=number)
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
    db: Database, result: CheckResult, quorum: Quorum, batch: Sequence[CheckResult]
) -> list[CheckResult]:
    """Other locations' results for ``result``'s check within the quorum's window up to it,
    newest first, the stored ones and those earlier in this ``batch`` (not written yet)
    (upkeep.monitor.quorum.agree picks each one's newest, on values). None from one place."""
    since, until = _stamp(result.at - quorum.window, "since"), _stamp(result.at, "at")
    rows = db.execute(
        f"SELECT {_RESULT_COLUMNS} FROM results WHERE project = ? AND environment = ? "
        "AND check_name = ? AND at > ? AND at <= ? AND location != ? ORDER BY at DESC, id DESC",
        (*result.key, since, until, result.location),
    )
    pending = [
        r
        for r in reversed(batch)  # newest first, as a later id would be
        if r.key == result.key
        and r.location != result.location
        and result.at - quorum.window < r.at <= result.at
    ]
    # Stable: at one time, the batch's (the later ids) stay ahead of the stored ones.
    return sorted(
        [*pending, *(_recorded(row).result for row in rows)], key=lambda r: r.at, reverse=True
    )


_STATE_COLUMNS = (
    "last_at",
    "streak_ok",
    "streak_count",
    "streak_since",
    "streak_priority",
    "streak_worst",
    "streak_summary",
    "streak_down_since",
    "incident_id",
    "streak_details",
)


def _save_states(db: Database, states: dict[tuple[str, str, str], CheckState]) -> None:
    """Every state the batch stepped, in one round trip."""
    db.executemany(
        f"INSERT INTO check_state (project, environment, check_name, {', '.join(_STATE_COLUMNS)}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (project, environment, check_name) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in _STATE_COLUMNS),
        [(*key, *_state_row(state)) for key, state in sorted(states.items())],
    )


def _state_row(state: CheckState) -> tuple[Any, ...]:
    """The state's _STATE_COLUMNS."""
    streak = state.streak
    return (
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
    )
