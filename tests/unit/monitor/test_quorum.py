"""Checks from several locations: incidents open only when a quorum agrees (upkeep.monitor.quorum),
on values through the incidents' replay and through a real SQLite history's record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from upkeep.errors import UsageError
from upkeep.inventory.alerts import Alerts
from upkeep.monitor.alerts import incident_policy
from upkeep.monitor.history import History
from upkeep.monitor.incidents import (
    Change,
    CheckState,
    IncidentPolicy,
    Transition,
    replay,
    step,
)
from upkeep.monitor.output import incident_dict
from upkeep.monitor.quorum import Quorum, agree, location_name
from upkeep.monitor.result import CheckResult, Status

OK, WARNING, CRITICAL, UNKNOWN = Status.OK, Status.WARNING, Status.CRITICAL, Status.UNKNOWN
START = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


def at(minute: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minute)


def seen(location: str, minute: float, status: Status, check: str = "health") -> CheckResult:
    summary = f"{status.name} from {location or 'here'}"
    return CheckResult(
        "shop", "production", check, status, summary, at(minute), kind="http", location=location
    )


def changes(transitions: Sequence[Transition]) -> list[tuple[str, int, tuple[str, ...]]]:
    return [
        (t.change.value, int(t.incident.opened.minute), t.incident.locations) for t in transitions
    ]


def interleaved(
    minutes: Sequence[float], office: Sequence[Status], ci: Sequence[Status]
) -> list[CheckResult]:
    """The two locations each every five minutes, ci one minute after the office."""
    return [
        result
        for minute, a, b in zip(minutes, office, ci, strict=True)
        for result in (seen("office", minute, a), seen("ci", minute + 1, b))
    ]


def test_one_location_failing_opens_no_incident() -> None:
    # ci's network is cut: the site does not answer it, but the office sees it up.
    results = interleaved([0, 5, 10, 15], [OK] * 4, [CRITICAL] * 4)
    assert replay(results) == []
    # Not merely flapping protection: even the first agreed failure would open one.
    assert replay(results, IncidentPolicy(failure_threshold=1)) == []
    assert replay([*results, seen("ci", 17, CRITICAL)]) == []  # ci twice in a row


def test_both_locations_failing_open_one_incident_naming_both() -> None:
    results = interleaved([0, 5, 10], [OK, CRITICAL, CRITICAL], [OK, CRITICAL, CRITICAL])
    [opened] = replay(results)
    # Agreed first at minute 6 (the office failed at 5, ci agreed at 6); opened after the
    # second agreed view (the office at 10), dated from the first.
    assert changes([opened]) == [("opened", 6, ("ci", "office"))]
    assert opened.incident.down_since == at(6) and opened.result.at == at(10)


def test_the_incident_resolves_when_the_quorum_no_longer_agrees_it_is_down() -> None:
    # The office sees it recover at 15; ci's network breaks at the same time and keeps failing:
    # waiting for ci to agree it is up would count downtime that nobody agreed on.
    results = interleaved(
        [0, 5, 10, 15, 20, 25], [CRITICAL, CRITICAL, CRITICAL, OK, OK, OK], [CRITICAL] * 6
    )
    opened, resolved = replay(results)
    # At minute 0 the office alone had reported: it was the quorum until ci's first result.
    assert changes([opened]) == [("opened", 0, ("ci", "office"))]
    assert resolved.change is Change.RESOLVED and resolved.incident.resolved == at(15)


def test_a_location_silent_past_the_window_drops_out_of_the_quorum() -> None:
    # ci last said OK at minute 1, then stopped reporting (its runner is gone).
    within = [seen("ci", 1, OK), seen("office", 5, CRITICAL), seen("office", 10, CRITICAL)]
    assert replay(within) == []  # ci's OK still counts at 5 and 10 (window: 10 min)
    past = [*within, seen("office", 15, CRITICAL), seen("office", 20, CRITICAL)]
    [opened] = replay(past)
    assert changes([opened]) == [("opened", 15, ("office",))]
    narrow = IncidentPolicy(quorum=Quorum(window=dt.timedelta(minutes=3)))
    assert changes(replay(within, narrow)) == [("opened", 5, ("office",))]


def test_could_not_check_is_no_vote_either_way() -> None:
    # ci cannot even tell (UNKNOWN): it neither blocks the office's verdict ...
    down = [seen("office", 0, CRITICAL), seen("ci", 1, UNKNOWN), seen("office", 5, CRITICAL)]
    assert changes(replay(down)) == [("opened", 0, ("office",))]
    # ... nor makes an UP office's view a failure.
    view = agree([seen("office", 0, OK)], seen("ci", 1, UNKNOWN))
    assert (view.result.status, view.result.at, view.locations) == (OK, at(1), ("office",))
    # When no location could tell, the view is "could not check", as one location's would be.
    view = agree([seen("office", 0, UNKNOWN)], seen("ci", 1, UNKNOWN))
    assert (view.result.status, view.locations) == (UNKNOWN, ("ci", "office"))


def test_a_number_of_locations_is_a_quorum_of_that_many() -> None:
    two = IncidentPolicy(quorum=Quorum(needed=2))
    three = [seen("office", 0, CRITICAL), seen("ci", 1, OK), seen("home", 2, CRITICAL)]
    view = agree(three[:2], three[2], two.quorum)
    assert (view.result.status, view.locations) == (CRITICAL, ("home", "office"))
    assert agree(three[:2], three[2]).result.status is OK  # all three: not agreed
    # More than the locations reporting: all of those must agree.
    alone = [seen("office", 0, CRITICAL), seen("office", 5, CRITICAL)]
    assert changes(replay(alone, IncidentPolicy(quorum=Quorum(needed=3)))) == [
        ("opened", 0, ("office",))
    ]


def test_one_unnamed_place_behaves_exactly_as_before() -> None:
    statuses = [OK, CRITICAL, WARNING, CRITICAL, UNKNOWN, OK, OK, CRITICAL, CRITICAL, OK, OK]
    results = [seen("", 5 * n, status) for n, status in enumerate(statuses)]
    state, stepped = CheckState(), []
    for result in results:  # the machine on the raw results, as before locations existed
        state, transition = step(state, result, IncidentPolicy())
        stepped += [transition] if transition else []
    assert replay(results) == stepped
    assert [t.change.value for t in stepped] == ["opened", "resolved", "opened", "resolved"]
    assert all(t.incident.locations == () for t in stepped)
    assert all(agree([r], r).result is r for r in results)


def test_the_inventory_sets_the_quorum() -> None:
    policy = incident_policy(Alerts.model_validate({"quorum": 2, "quorum_window": "15m"}))
    assert policy.quorum == Quorum(2, dt.timedelta(minutes=15))
    assert incident_policy(Alerts()).quorum == Quorum(None, dt.timedelta(minutes=10))


@pytest.mark.parametrize("name", ["", "two words", "-ci", "a/b", "x" * 41])
def test_a_location_name_is_checked(name: str) -> None:
    with pytest.raises(UsageError, match=r"--location: .* is not a location name"):
        location_name(name, "--location")


# ---- through the history: each location's run is its own record ------------------------


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    with History(tmp_path / "monitor.db") as opened:
        yield opened


def record_each(history: History, results: Sequence[CheckResult]) -> list[Transition]:
    """Each result as its own location's run recorded (one ``record`` call each)."""
    return [t for result in results for t in history.record([result])]


def test_the_history_opens_no_incident_when_one_location_fails(history: History) -> None:
    results = [*interleaved([0, 5, 10, 15], [OK] * 4, [CRITICAL] * 4), seen("ci", 17, CRITICAL)]
    assert record_each(history, results) == []
    assert history.open_incidents() == []


def test_the_history_records_which_locations_agreed(history: History, tmp_path: Path) -> None:
    results = interleaved([0, 5, 10], [OK, CRITICAL, CRITICAL], [OK, CRITICAL, CRITICAL])
    assert changes(record_each(history, results)) == [("opened", 6, ("ci", "office"))]
    history.close()
    with History(tmp_path / "monitor.db") as reopened:
        [incident] = reopened.open_incidents("shop")
        assert incident.locations == ("ci", "office") and incident.down_since == at(6)
        assert incident_dict(incident)["locations"] == ["ci", "office"]
        watched = reopened.watched("shop", "production", at(0), at(60))
    # The SLA's observation: a moment is watched when any location gave a verdict.
    assert watched == [at(m) for m in (0, 1, 5, 6, 10, 11)]


def test_the_history_steps_on_the_agreed_view_within_one_record(history: History) -> None:
    # Both locations' results arriving in one batch (a shared runner recording both).
    results = interleaved([0, 5, 10], [OK, CRITICAL, CRITICAL], [OK, CRITICAL, CRITICAL])
    assert changes(history.record(results)) == [("opened", 6, ("ci", "office"))]
