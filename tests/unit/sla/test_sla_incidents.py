"""Incidents' response and resolution deadlines on the service calendar: met, missed, pending."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.sla.conftest import at, business, hours, policy
from upkeep.errors import UsageError
from upkeep.inventory.priority import Priority
from upkeep.inventory.service_calendar import ServiceCalendar
from upkeep.sla.incidents import DeadlineStatus, Maintenance, SlaIncident, deadlines, judge

MET, MISSED, PENDING, NO_TARGET = (
    DeadlineStatus.MET,
    DeadlineStatus.MISSED,
    DeadlineStatus.PENDING,
    DeadlineStatus.NO_TARGET,
)
FRIDAY_1630 = at(2026, 11, 20, 16, 30)


def _incident(priority: str | None = "P1", opened: dt.datetime = FRIDAY_1630, **kw) -> SlaIncident:
    return SlaIncident("42", "health", "production", priority, opened, **kw)


def _judge(incident: SlaIncident, now: dt.datetime, cal: ServiceCalendar | None = None):
    return deadlines(incident, policy().priorities, cal or business(), now)


def test_friday_half_past_four_p1_is_due_monday_half_past_twelve() -> None:
    # P1: response 30 min, resolution 4 h. Fri 16:30 + 30 min = 17:00 the same day;
    # + 4 h = Fri 16:30-17:00 (0.5 h) + Mon 09:00-12:30 (3.5 h).
    found = _judge(
        _incident(responded=at(2026, 11, 20, 16, 50), resolved=at(2026, 11, 23, 12, 30)),
        at(2026, 12, 1),
    )
    assert found.response.due == at(2026, 11, 20, 17)
    assert found.resolution.due == at(2026, 11, 23, 12, 30)
    assert (found.response.status, found.resolution.status) == (MET, MET)  # on the minute is met


def test_a_minute_late_is_missed() -> None:
    found = _judge(
        _incident(responded=at(2026, 11, 23, 9, 1), resolved=at(2026, 11, 23, 12, 31)),
        at(2026, 12, 1),
    )
    # The response was due Fri 17:00; Monday 09:01 is late even though only 1 service minute
    # passed since.
    assert (found.response.status, found.resolution.status) == (MISSED, MISSED)


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (at(2026, 11, 21, 12), PENDING),  # Saturday: not due until Monday 12:30
        (at(2026, 11, 23, 12, 30), PENDING),  # due now, not yet late
        (at(2026, 11, 23, 12, 31), MISSED),
    ],
)
def test_an_open_incident_is_pending_until_its_deadline(
    now: dt.datetime, status: DeadlineStatus
) -> None:
    assert _judge(_incident(), now).resolution.status is status


def test_events_after_now_are_not_known_yet() -> None:
    found = _judge(_incident(resolved=at(2026, 11, 23, 11)), now=at(2026, 11, 23, 10))
    assert found.resolution.status is PENDING
    assert found.resolution.done is None


def test_easter_monday_pushes_the_deadline_to_tuesday() -> None:
    # Fri 3 Apr 2026 16:30: 0.5 h that day, Mon 6 Apr is Easter Monday, Tue 7 Apr 09:00 + 3.5 h.
    found = _judge(
        _incident(opened=at(2026, 4, 3, 16, 30), resolved=at(2026, 4, 7, 12)), at(2026, 5, 1)
    )
    assert found.resolution.due == at(2026, 4, 7, 12, 30)
    assert found.resolution.status is MET


def test_a_multi_day_incident() -> None:
    # P2: resolution 16 h from Mon 23 Nov 16:00: Mon 1 h, Tue 8 h, Wed 7 h → Wed 25 Nov 16:00.
    # Response 2 h: Mon 16-17 (1 h) + Tue 09-10 → Tue 10:00.
    incident = _incident(
        "P2", at(2026, 11, 23, 16), responded=at(2026, 11, 24, 9, 45), resolved=at(2026, 11, 26, 10)
    )
    found = _judge(incident, at(2026, 12, 1))
    assert found.response.due == at(2026, 11, 24, 10)
    assert found.resolution.due == at(2026, 11, 25, 16)
    assert (found.response.status, found.resolution.status) == (MET, MISSED)


def test_an_incident_across_months_keeps_its_deadlines() -> None:
    # Opened Fri 30 Oct 16:30 (CET since 25 Oct): due Mon 2 Nov 12:30, judged as a whole.
    found = _judge(
        _incident(opened=at(2026, 10, 30, 16, 30), resolved=at(2026, 11, 2, 12)), at(2026, 12, 1)
    )
    assert found.resolution.due == at(2026, 11, 2, 12, 30)
    assert found.resolution.status is MET


def test_priorities_without_deadlines() -> None:
    # The policy names P1-P3; P4 and an untriaged incident have no target.
    for priority in ("P4", None):
        found = _judge(_incident(priority, resolved=at(2026, 11, 30)), at(2026, 12, 1))
        assert (found.response.status, found.resolution.status) == (NO_TARGET, NO_TARGET)
        assert found.resolution.due is None
        assert found.resolution.done == at(2026, 11, 30)


def test_judge_on_a_24_7_calendar() -> None:
    # Sat 21 Nov 23:00 + 2 h on 24/7 = Sun 01:00; done at 00:59.
    cal = ServiceCalendar("Europe/Warsaw")
    deadline = judge(at(2026, 11, 21, 23), hours(2), at(2026, 11, 22, 0, 59), cal, at(2026, 12, 1))
    assert (deadline.due, deadline.status) == (at(2026, 11, 22, 1), MET)


def test_priority_text_is_read_as_a_priority() -> None:
    assert _incident("p2").priority is Priority.P2


def test_an_outage_runs_until_resolved_or_now() -> None:
    incident = _incident(resolved=at(2026, 11, 23, 10))
    assert incident.outage(at(2026, 12, 1)) == (
        FRIDAY_1630.astimezone(dt.UTC),
        at(2026, 11, 23, 10).astimezone(dt.UTC),
    )
    # Before it was resolved, it runs until now.
    assert incident.outage(at(2026, 11, 21)) == (FRIDAY_1630, at(2026, 11, 21))
    assert _incident(affects_availability=False).outage(at(2026, 12, 1)) is None
    assert incident.outage(at(2026, 11, 20)) is None  # not opened yet


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: _incident("P5"), r"incident 42: unknown priority 'P5' \(use P1, P2, P3 or P4\)"),
        (
            lambda: _incident(opened=dt.datetime(2026, 11, 20, 16)),
            "incident 42: opened .* has no time zone",
        ),
        (
            lambda: _incident(resolved=at(2026, 11, 20, 16)),
            "incident 42: resolved 2026-11-20T16:00:00.* is before it opened",
        ),
        (
            lambda: _incident(responded=dt.datetime(2026, 11, 21)),
            "incident 42: responded .* has no time zone",
        ),
        (
            lambda: Maintenance(at(2026, 11, 2), at(2026, 11, 1), "PHP"),
            r"maintenance PHP: ends \(2026-11-01",
        ),
    ],
)
def test_bad_records_are_usage_errors(make, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        make()


def test_a_resolution_without_a_response_answers_it() -> None:
    # Resolved Fri 16:45, before the response was due (17:00), nobody acknowledged it: met.
    found = _judge(_incident(resolved=at(2026, 11, 20, 16, 45)), at(2026, 12, 1))
    assert found.response.done == at(2026, 11, 20, 16, 45)
    assert found.response.status is MET
    # Resolved Monday 10:00 with no response: the response (due Friday 17:00) was missed.
    late = _judge(_incident(resolved=at(2026, 11, 23, 10)), at(2026, 12, 1))
    assert (late.response.status, late.resolution.status) == (MISSED, MET)


def test_downtime_starts_when_the_site_went_down_and_deadlines_when_it_opened() -> None:
    # A slow page from Mon 23 Nov 10:00 that failed at 10:20 and recovered at 11:00:
    # 40 min down; P1 resolution still counts from 10:00 → due 14:00.
    incident = _incident(
        opened=at(2026, 11, 23, 10),
        down_since=at(2026, 11, 23, 10, 20),
        resolved=at(2026, 11, 23, 11),
    )
    start, end = incident.outage(at(2026, 12, 1)) or (None, None)
    assert (start, end) == (at(2026, 11, 23, 10, 20), at(2026, 11, 23, 11))
    assert _judge(incident, at(2026, 12, 1)).resolution.due == at(2026, 11, 23, 14)


def test_the_monitoring_historys_values_map_straight_in() -> None:
    # Its ids are integers and its priorities its own StrEnum with the same names.
    from upkeep.monitor.incidents import Priority as MonitorPriority

    incident = SlaIncident(7, "health", "production", MonitorPriority.P2, FRIDAY_1630)
    assert (incident.id, incident.priority) == ("7", Priority.P2)


def test_down_since_after_resolution_is_refused() -> None:
    with pytest.raises(UsageError, match=r"incident 42: down_since .* is after it was resolved"):
        _incident(down_since=at(2026, 11, 23, 12), resolved=at(2026, 11, 23, 11))
