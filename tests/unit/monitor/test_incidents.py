"""The incident state machine: thresholds against flapping, times from the first result, priorities."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upkeep.inventory.priority import Priority
from upkeep.monitor.incidents import (
    DEFAULT_POLICY,
    Change,
    CheckState,
    Incident,
    IncidentPolicy,
    Transition,
    priority_of,
    replay,
    step,
)
from upkeep.monitor.result import CheckResult, Status

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
OK, W, C, U = Status.OK, Status.WARNING, Status.CRITICAL, Status.UNKNOWN


def at(minute: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


def result(
    minute: int,
    status: Status,
    *,
    env: str = "production",
    check: str = "health",
    affects: bool = True,
    summary: str | None = None,
) -> CheckResult:
    return CheckResult(
        "demo",
        env,
        check,
        status,
        summary if summary is not None else f"{status.name} at {minute}",
        at=at(minute),
        affects_availability=affects,
    )


def run(
    statuses: Sequence[Status],
    policy: IncidentPolicy = DEFAULT_POLICY,
    maintenance: Callable[[int], bool] = lambda minute: False,
    **kwargs: object,
) -> list[Transition]:
    """One result every five minutes with these statuses."""
    results = [result(5 * i, s, **kwargs) for i, s in enumerate(statuses)]  # type: ignore[arg-type]
    return replay(results, policy, lambda r: maintenance(int((r.at - T0).total_seconds() // 60)))


def summary(transitions: list[Transition]) -> list[tuple[str, int, int | None]]:
    """(change, opened minute, resolved minute) per transition."""
    minute = lambda moment: int((moment - T0).total_seconds() // 60)  # noqa: E731
    return [
        (
            t.change.value,
            minute(t.incident.opened),
            None if t.incident.resolved is None else minute(t.incident.resolved),
        )
        for t in transitions
    ]


def test_opens_at_the_first_failure_of_the_streak_and_resolves_at_the_first_ok() -> None:
    transitions = run([OK, C, C, C, OK, OK, OK])
    assert summary(transitions) == [("opened", 5, None), ("resolved", 5, 20)]
    opened, resolved = transitions
    assert opened.result.at == at(10)  # the result that crossed the threshold
    assert resolved.result.at == at(25)
    assert resolved.incident.duration == dt.timedelta(minutes=15)


def test_flapping_below_the_thresholds_does_nothing() -> None:
    assert run([C, OK, C, OK, C, OK, W, OK, U, OK]) == []


def test_flapping_while_open_is_one_incident_not_a_resolve_reopen_pair() -> None:
    transitions = run([C, C, OK, C, OK, C, OK, OK])
    assert summary(transitions) == [("opened", 0, None), ("resolved", 0, 30)]


@pytest.mark.parametrize(
    ("failures", "successes", "statuses", "expected"),
    [
        (1, 1, [C, OK], [("opened", 0, None), ("resolved", 0, 5)]),
        (3, 1, [C, C, OK, C, C, C, OK], [("opened", 15, None), ("resolved", 15, 30)]),
        (1, 3, [C, OK, OK, C, OK, OK, OK], [("opened", 0, None), ("resolved", 0, 20)]),
    ],
)
def test_thresholds_are_configurable(
    failures: int,
    successes: int,
    statuses: list[Status],
    expected: list[tuple[str, int, int | None]],
) -> None:
    assert summary(run(statuses, IncidentPolicy(failures, successes))) == expected


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_a_threshold_below_one_or_not_whole_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="failure_threshold must be a whole number of at least 1"):
        IncidentPolicy(failure_threshold=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("env", "status", "affects", "expected"),
    [
        ("production", C, True, Priority.P1),
        ("production", C, False, Priority.P2),  # a certificate about to expire
        ("production", U, True, Priority.P2),  # a check that cannot tell
        ("production", W, True, Priority.P3),
        ("staging", C, True, Priority.P3),
        ("dev", U, True, Priority.P3),
        ("production", OK, True, None),
    ],
)
def test_priority_of_a_result(
    env: str, status: Status, affects: bool, expected: Priority | None
) -> None:
    assert priority_of(result(0, status, env=env, affects=affects)) == expected


def test_an_incident_starting_as_a_warning_escalates_when_the_site_goes_down() -> None:
    transitions = run([W, W, W, C, C, OK, OK])
    assert [t.change for t in transitions] == [Change.OPENED, Change.ESCALATED, Change.RESOLVED]
    opened, escalated, resolved = (t.incident for t in transitions)
    assert (opened.priority, opened.worst, opened.down_since) == (Priority.P3, W, None)
    assert not opened.affects_availability
    assert (escalated.priority, escalated.worst, escalated.down_since) == (Priority.P1, C, at(15))
    assert escalated.summary == "CRITICAL at 15"
    assert escalated.opened == at(0)  # still the first warning
    assert resolved.outage == (at(15), at(25))
    assert resolved.priority is Priority.P1


def test_the_worst_status_is_kept_without_an_alert_when_the_priority_stays() -> None:
    transitions = run([W, W, C, OK, OK], env="staging")
    assert [t.change for t in transitions] == [Change.OPENED, Change.RESOLVED]
    assert transitions[-1].incident.worst is C
    assert transitions[-1].incident.priority is Priority.P3
    assert transitions[-1].incident.down_since == at(10)


def test_a_pending_streak_opens_with_its_most_urgent_result() -> None:
    (opened,) = run([W, C])
    assert opened.incident.opened == at(0)
    assert opened.incident.priority is Priority.P1
    assert opened.incident.down_since == at(5)
    assert opened.incident.summary == "CRITICAL at 5"


def test_problems_in_maintenance_never_open_and_restart_a_pending_streak() -> None:
    window = lambda minute: 5 <= minute < 20  # noqa: E731
    # 0: C (1 of 2), 5-15: in the window, 20: C (1 of 2 again), 25: C opens at 20.
    transitions = run([C, C, C, C, C, C], maintenance=window)
    assert summary(transitions) == [("opened", 20, None)]


def test_an_ok_in_maintenance_resolves_muted() -> None:
    window = lambda minute: minute >= 10  # noqa: E731
    transitions = run([C, C, OK, OK], maintenance=window)
    assert summary(transitions) == [("opened", 0, None), ("resolved", 0, 10)]
    assert [t.in_maintenance for t in transitions] == [False, True]


def test_a_problem_in_maintenance_keeps_an_open_incident_open_without_escalating() -> None:
    window = lambda minute: minute == 15  # noqa: E731
    transitions = run([W, W, OK, C, OK, OK], maintenance=window)
    # 15 is CRITICAL in the window: no escalation, but the OK streak starts again after it.
    assert summary(transitions) == [("opened", 0, None), ("resolved", 0, 20)]
    assert transitions[-1].incident.priority is Priority.P3
    assert transitions[-1].incident.down_since is None


def test_checks_are_independent() -> None:
    results = [result(0, C, check="a"), result(1, C, check="b"), result(5, C, check="a")]
    (opened,) = replay(results)
    assert opened.incident.check == "a"


def test_a_result_older_than_the_last_one_changes_nothing() -> None:
    policy = IncidentPolicy(1, 1)
    state, opened = step(CheckState(), result(10, C), policy)
    assert opened is not None and state.last_at == at(10)
    later, nothing = step(state, result(5, OK), policy)
    assert nothing is None and later == state
    same, nothing = step(state, result(10, OK), policy)
    assert nothing is None and same == state


def test_incident_properties() -> None:
    incident = Incident("demo", "production", "health", at(0), Priority.P2, C, "x")
    assert incident.is_open and incident.duration is None and incident.outage is None
    assert incident.key == ("demo", "production", "health")
    assert Priority.P1.above(Priority.P2) and not Priority.P3.above(Priority.P2)
    assert [p.rank for p in Priority] == [1, 2, 3, 4]


def test_priorities_are_the_names_checks_and_the_sla_use() -> None:
    from upkeep.inventory.checks import Priority as CheckPriority
    from upkeep.inventory.sla import Priority as SlaPriority

    assert [p.value for p in Priority] == [p.value for p in SlaPriority]
    assert [p.value for p in Priority] == [p.value for p in CheckPriority]
    assert Priority is CheckPriority is SlaPriority  # one Priority (upkeep.inventory.priority)


def test_a_declared_priority_can_replace_the_default_rule() -> None:
    declared = {"health": Priority.P2, "error_page": Priority.P4}
    policy = IncidentPolicy(priority=lambda r: declared[r.check])
    (health,) = run([C, C], policy)
    (page,) = run([C, C], policy, check="error_page")
    assert (health.incident.priority, page.incident.priority) == (Priority.P2, Priority.P4)
    # The downtime still follows the results, whatever the priority.
    assert page.incident.down_since == at(0)


def test_a_rule_that_gives_no_priority_for_a_problem_is_a_bug_said_plainly() -> None:
    with pytest.raises(ValueError, match="the priority rule gave no priority for a problem"):
        run([C], IncidentPolicy(1, 1, priority=lambda r: None))


statuses = st.lists(st.sampled_from([OK, OK, W, C, U]), min_size=1, max_size=40)


@given(
    statuses=statuses,
    failures=st.integers(1, 4),
    successes=st.integers(1, 4),
    window=st.frozensets(st.integers(0, 39), max_size=10),
)
def test_every_incident_starts_and_ends_where_a_full_streak_does(
    statuses: list[Status], failures: int, successes: int, window: frozenset[int]
) -> None:
    policy = IncidentPolicy(failures, successes)
    muted = {5 * i for i in window}
    transitions = run(statuses, policy, lambda minute: minute in muted)
    by_minute = {5 * i: s for i, s in enumerate(statuses)}
    open_now = False
    for transition in transitions:
        incident = transition.incident
        start = int((incident.opened - T0).total_seconds() // 60)
        if transition.change is Change.OPENED:
            assert not open_now
            open_now = True
            # `failures` problem results in a row from its start, none of them muted.
            streak = [start + 5 * k for k in range(failures)]
            assert all(by_minute[m].is_problem and m not in muted for m in streak)
            assert incident.opened <= transition.result.at
        elif transition.change is Change.ESCALATED:
            assert open_now and not transition.in_maintenance
        else:
            assert open_now
            open_now = False
            end = int((incident.resolved - T0).total_seconds() // 60)  # type: ignore[operator]
            assert all(by_minute[end + 5 * k] is OK for k in range(successes))
            assert incident.opened < incident.resolved  # type: ignore[operator]
    # Without maintenance, how the run ends decides whether an incident is left open.
    if not muted and len(statuses) >= failures and all(s.is_problem for s in statuses[-failures:]):
        assert open_now
    if len(statuses) >= successes and all(s is OK for s in statuses[-successes:]):
        assert not open_now
