"""Incidents from results: a pure state machine per check, with thresholds against flapping.

Per check (project, environment, check name), ``failure_threshold`` problem
results in a row open an incident and ``success_threshold`` OK results in a row
resolve it; a streak cut short does nothing, so a flapping check neither opens
nor resolves anything. Thresholds only delay the decision, never the clock: an
incident opens at the *first* problem result of its streak and is resolved at
the *first* OK result of the streak that closed it, so downtime is measured
from when things broke, not from when upkeep became sure.

Any problem status (WARNING, CRITICAL, UNKNOWN) counts towards an incident; the
incident keeps its worst status and its priority (the most urgent reached).
It affects availability from its first CRITICAL result that
``affects_availability`` (``down_since``): a slow page or an expiring
certificate is an incident, not downtime.

In a maintenance window a problem result never counts towards opening (it
restarts a pending streak) nor raises an open incident's priority; an OK
result counts as usual, so work finished inside the window resolves the
incident then. Transitions in a window are flagged so alerts stay muted.

A *consequence* (a result whose ``cause`` names a more basic failure in the
same run, upkeep.monitor.causes) is treated the same way when its check has
no open incident: it opens none of its own, and is listed under its root's
incident instead (``Consequence``). An incident's title (``summary``) says
what is wrong in words; a check's raw output (a curl error, say) goes to its
``details``.

    >>> at = lambda minute: dt.datetime(2026, 11, 23, 9, minute, tzinfo=dt.UTC)
    >>> down = lambda minute: CheckResult("demo", "production", "health", Status.CRITICAL,
    ...                                   "502 Bad Gateway", at=at(minute))
    >>> up = lambda minute: CheckResult("demo", "production", "health", Status.OK, "200 OK",
    ...                                 at=at(minute))
    >>> state, changes = CheckState(), []
    >>> for result in [down(0), up(5), down(10), down(15), up(20), down(25), up(30), up(35)]:
    ...     state, change = step(state, result, IncidentPolicy())
    ...     changes += [change] if change else []
    >>> [(c.change.value, c.incident.opened.minute) for c in changes]
    [('opened', 10), ('resolved', 10)]
    >>> changes[-1].incident.resolved.minute, str(changes[-1].incident.duration)
    (30, '0:20:00')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum

from upkeep.inventory.priority import Priority
from upkeep.monitor.causes import attribute
from upkeep.monitor.quorum import ALL, Quorum, agree
from upkeep.monitor.result import CheckResult, Status


def priority_of(result: CheckResult) -> Priority | None:
    """The default rule: the priority a problem result calls for; None for an OK one.

    A check's declared priority (the ``checks:`` section) can replace it
    through ``IncidentPolicy.priority``.
    """
    if not result.status.is_problem:
        return None
    if result.environment != "production" or result.status is Status.WARNING:
        return Priority.P3
    if result.status is Status.CRITICAL and result.affects_availability:
        return Priority.P1
    return Priority.P2


def is_down(result: CheckResult) -> bool:
    """Whether the result is downtime (when outside maintenance)."""
    return result.status is Status.CRITICAL and result.affects_availability


@dataclass(frozen=True)
class IncidentPolicy:
    """The thresholds against flapping, and the rule that gives a problem its priority.

    Two problem results in a row open an incident: with a five-minute timer a
    single failure is often a deploy's reload or a network blip, and since the
    incident still starts at the first failure, waiting loses no downtime, only
    five minutes of alert latency. Two OK results in a row resolve it, so a
    site going up and down is one incident, not a resolve/reopen pair each run.
    """

    failure_threshold: int = 2
    success_threshold: int = 2
    # The priority a problem result calls for (called for problem results only).
    priority: Callable[[CheckResult], Priority | None] = priority_of
    # With results from several locations, how many must agree (upkeep.monitor.quorum).
    quorum: Quorum = ALL

    def __post_init__(self) -> None:
        for name in ("failure_threshold", "success_threshold"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")


@dataclass(frozen=True)
class Incident:
    project: str
    environment: str
    check: str
    opened: dt.datetime  # the first problem result of the streak that opened it
    priority: Priority  # the most urgent reached while open
    worst: Status
    summary: str  # the title: what is wrong, of the result that set the priority (or opened it)
    down_since: dt.datetime | None = None  # first CRITICAL result that affects availability
    resolved: dt.datetime | None = None  # first OK result of the streak that resolved it
    acknowledged: dt.datetime | None = None  # first response (for the SLA)
    id: int | None = None  # given by the history when stored
    details: tuple[str, ...] = ()  # what that result's check said (raw tool output included)
    # The locations that agreed it failed (upkeep.monitor.quorum), sorted; () when checks
    # ran from one unnamed place.
    locations: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.project, self.environment, self.check)

    @property
    def is_open(self) -> bool:
        return self.resolved is None

    @property
    def affects_availability(self) -> bool:
        return self.down_since is not None

    @property
    def duration(self) -> dt.timedelta | None:
        return None if self.resolved is None else self.resolved - self.opened

    @property
    def outage(self) -> tuple[dt.datetime, dt.datetime | None] | None:
        """When it kept the site down: ``down_since`` to ``resolved`` (None: still down)."""
        return None if self.down_since is None else (self.down_since, self.resolved)


DEFAULT_POLICY = IncidentPolicy()


@dataclass(frozen=True)
class Consequence:
    """A check that failed only because of an incident's check, and when (from the history)."""

    check: str
    worst: Status
    first: dt.datetime  # its first result attributed to the incident
    last: dt.datetime  # its latest
    summary: str  # what its latest such result said

    def describe(self) -> str:
        """One line: ``certificate UNKNOWN: could not check: no answer``."""
        return f"{self.check} {self.worst.name}: {self.summary}"


class Change(Enum):
    OPENED = "opened"
    ESCALATED = "escalated"  # the open incident's priority rose
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Transition:
    change: Change
    incident: Incident  # as it is after the change
    result: CheckResult  # the result that caused it
    in_maintenance: bool = False  # alerts stay muted


@dataclass(frozen=True)
class Streak:
    """Results in a row of one kind, and what a problem streak would open with."""

    ok: bool
    count: int
    since: dt.datetime  # the first result of the streak
    priority: Priority | None = None
    worst: Status = Status.OK
    summary: str = ""
    down_since: dt.datetime | None = None
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckState:
    """What the machine remembers about one check between runs."""

    last_at: dt.datetime | None = None  # the latest result taken in
    streak: Streak | None = None
    incident: Incident | None = None  # the open one


def step(
    state: CheckState,
    result: CheckResult,
    policy: IncidentPolicy,
    in_maintenance: bool = False,
    locations: tuple[str, ...] | None = None,
) -> tuple[CheckState, Transition | None]:
    """The state after ``result``, and the transition it caused, if any.

    ``result`` is what the locations agreed on (upkeep.monitor.quorum) and
    ``locations`` those that agreed (None: the result's own location). A
    result not newer than the last one taken in (a slower concurrent run)
    changes nothing: the history still keeps it.
    """
    if state.last_at is not None and result.at <= state.last_at:
        return state, None
    state = replace(state, last_at=result.at)
    if not result.status.is_problem:
        return _ok(state, result, policy, in_maintenance)
    if in_maintenance or (result.cause and state.incident is None):
        # Never counts towards an incident, but it is not an OK either.
        return replace(state, streak=None), None
    seen = (result.location,) if result.location else ()
    return _problem(state, result, policy, seen if locations is None else locations)


def _ok(
    state: CheckState, result: CheckResult, policy: IncidentPolicy, in_maintenance: bool
) -> tuple[CheckState, Transition | None]:
    streak = state.streak
    if streak is not None and streak.ok:
        streak = replace(streak, count=streak.count + 1)
    else:
        streak = Streak(ok=True, count=1, since=result.at)
    incident = state.incident
    if incident is None or streak.count < policy.success_threshold:
        return replace(state, streak=streak), None
    closed = replace(incident, resolved=streak.since)
    transition = Transition(Change.RESOLVED, closed, result, in_maintenance)
    return replace(state, streak=streak, incident=None), transition


def _problem(
    state: CheckState, result: CheckResult, policy: IncidentPolicy, locations: tuple[str, ...]
) -> tuple[CheckState, Transition | None]:
    priority = policy.priority(result)
    if priority is None:
        raise ValueError(f"the priority rule gave no priority for a problem result: {result}")
    down_at = result.at if is_down(result) else None
    incident = state.incident
    if incident is not None:
        raised = priority.above(incident.priority)
        incident = replace(
            incident,
            priority=priority if raised else incident.priority,
            worst=max(incident.worst, result.status),
            summary=result.title if raised else incident.summary,
            details=result.raw if raised else incident.details,
            down_since=incident.down_since or down_at,
            locations=tuple(sorted({*incident.locations, *locations})),
        )
        transition = Transition(Change.ESCALATED, incident, result) if raised else None
        failing = Streak(ok=False, count=1, since=result.at)
        return replace(state, streak=failing, incident=incident), transition

    streak = state.streak
    if streak is None or streak.ok:
        streak = Streak(
            False, 1, result.at, priority, result.status, result.title, down_at, result.raw
        )
    else:
        raised = streak.priority is None or priority.above(streak.priority)
        streak = replace(
            streak,
            count=streak.count + 1,
            priority=priority if raised else streak.priority,
            worst=max(streak.worst, result.status),
            summary=result.title if raised else streak.summary,
            down_since=streak.down_since or down_at,
            details=result.raw if raised else streak.details,
        )
    if streak.count < policy.failure_threshold:
        return replace(state, streak=streak), None
    assert streak.priority is not None
    opened = Incident(
        project=result.project,
        environment=result.environment,
        check=result.check,
        opened=streak.since,
        priority=streak.priority,
        worst=streak.worst,
        summary=streak.summary,
        down_since=streak.down_since,
        details=streak.details,
        locations=locations,
    )
    return replace(state, streak=streak, incident=opened), Transition(Change.OPENED, opened, result)


def never(result: CheckResult) -> bool:
    """No maintenance at all: the default ``in_maintenance``."""
    return False


def replay(
    results: Sequence[CheckResult],
    policy: IncidentPolicy = DEFAULT_POLICY,
    in_maintenance: Callable[[CheckResult], bool] = never,
) -> list[Transition]:
    """Every transition the results cause, from a fresh start (for tests and what-ifs),
    consequences marked and locations agreeing as the history does it."""
    states: dict[tuple[str, str, str], CheckState] = {}
    newest: dict[tuple[str, str, str], dict[str, CheckResult]] = {}
    transitions = []
    for result in sorted(attribute(results), key=lambda r: r.at):
        seen = newest.setdefault(result.key, {})
        agreed = agree(list(seen.values()), result, policy.quorum)
        seen[result.location] = result
        state, transition = step(
            states.get(result.key, CheckState()),
            agreed.result,
            policy,
            in_maintenance(result),
            agreed.locations,
        )
        states[result.key] = state
        if transition is not None:
            transitions.append(transition)
    return transitions
