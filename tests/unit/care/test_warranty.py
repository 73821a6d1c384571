"""The warranty computed from reality: each void reason from a real monitoring history
(SQLite, written by the monitor's recorder), the inventory and a drift report; the
period's end at midnight in Europe/Warsaw across a clock change; the next change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.unit.inventory.test_care_plans import CARE, PLANS
from tests.unit.inventory.test_cli import GOOD
from tests.unit.inventory.test_servers import write
from upkeep.care.observed import observe_monitoring
from upkeep.care.warranty import Monitoring, Warranty, WarrantyStatus, warranty_of
from upkeep.drift.compare import DriftItem, DriftReport
from upkeep.inventory import Project, load_project
from upkeep.monitor.history import History
from upkeep.monitor.result import CheckResult, Status
from upkeep.workspace import Workspace

WARSAW = ZoneInfo("Europe/Warsaw")
DEV = """\
environments:
  dev:
    domain: dev.shop.example
    tls: none
    hosts:
      - name: web-dev
        address: 192.0.2.5
"""
# Three environments, on the standard plan (business-hours SLA), accepted 2026-10-01.
SHOP = GOOD.replace("environments:\n", DEV, 1) + CARE
# Inside the period (2026-10-01 to 2026-12-29 in Warsaw).
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
ENVIRONMENTS = ("dev", "staging", "production")


def shop(workspace: Path, text: str = SHOP, plans: str = PLANS) -> Project:
    write(workspace, "plans.yml", plans)
    write(workspace, "shop.yml", text)
    return load_project(Workspace(workspace), "shop")


def monitored(tmp_path: Path, *hours_ago: float, status: Status = Status.OK) -> Monitoring:
    """Production's monitoring as a real history has it, with results ``hours_ago`` NOW."""
    with History(tmp_path / "monitor.db") as history:
        for hours in hours_ago:
            at = NOW - dt.timedelta(hours=hours)
            history.record([CheckResult("shop", "production", "health", status, "ok", at=at)])
        return observe_monitoring(history, "shop", NOW)


def in_sync(*differing: str) -> DriftReport:
    """A drift report over the three environments; ``differing`` ones have a difference."""
    items = tuple(
        DriftItem(env, f"web-{env}", "php build", "8.2.36-1~deb12u1", "8.2.32-1~deb12u1")
        for env in differing
    )
    return DriftReport("shop", ENVIRONMENTS, items, {})


def holds(found: Warranty) -> dict[str, bool | None]:
    return {item.what: item.holds for item in found.evidence}


def test_active_with_its_evidence_and_the_day_monitoring_would_go_stale(
    workspace: Path, tmp_path: Path
) -> None:
    found = warranty_of(shop(workspace), NOW, monitored(tmp_path, 20, 2), in_sync())
    assert (found.status, found.reasons) == (WarrantyStatus.ACTIVE, ())
    assert holds(found) == {
        "period": True,
        "monitoring": True,
        "dev": True,
        "staging": True,
        "sla": True,
    }
    texts = [item.text for item in found.evidence]
    assert "2 check results in production in the last day, the last at 2026-11-20 10:00 UTC" in (
        texts
    )
    assert "SLA 99.9% (policy business-hours of plan standard)" in texts
    # Without another result it is void a day after the last one, long before it expires.
    assert found.next_change is not None
    assert (found.next_change.at, found.next_change.status) == (
        dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC),
        WarrantyStatus.VOID,
    )
    assert found.ends == dt.datetime(2026, 12, 30, tzinfo=WARSAW)
    assert found.summary() == "active through 2026-12-29"


def test_void_when_no_check_result_watched_production_in_the_last_day(
    workspace: Path, tmp_path: Path
) -> None:
    found = warranty_of(shop(workspace), NOW, monitored(tmp_path, 25, 30), in_sync())
    assert found.status is WarrantyStatus.VOID
    assert found.reasons == (
        "monitoring is not running: no check result in production in the last day",
    )
    assert found.next_change is not None
    assert (found.next_change.at, found.next_change.status) == (
        dt.datetime(2026, 12, 30, tzinfo=WARSAW),
        WarrantyStatus.EXPIRED,
    )


def test_void_when_checks_ran_but_could_not_check(workspace: Path, tmp_path: Path) -> None:
    # An UNKNOWN ("could not check") watched nothing: monitoring is not really running.
    monitoring = monitored(tmp_path, 1, 2, status=Status.UNKNOWN)
    found = warranty_of(shop(workspace), NOW, monitoring, in_sync())
    assert found.status is WarrantyStatus.VOID and holds(found)["monitoring"] is False


def test_void_when_no_monitoring_history_is_kept(workspace: Path) -> None:
    found = warranty_of(shop(workspace), NOW, observe_monitoring(None, "shop", NOW), in_sync())
    assert (found.status, found.reasons) == (
        WarrantyStatus.VOID,
        ("monitoring is not running: no history kept",),
    )


@pytest.mark.parametrize("missing", ["dev", "staging"])
def test_void_when_dev_or_staging_is_missing(workspace: Path, tmp_path: Path, missing: str) -> None:
    text = SHOP if missing == "staging" else GOOD + CARE
    if missing == "staging":
        start = text.index("  staging:\n")
        text = text[:start] + text[text.index("  production:\n") :]
    project = shop(workspace, text)
    assert missing not in project.environments
    found = warranty_of(project, NOW, monitored(tmp_path, 1), None)
    assert (found.status, found.reasons) == (WarrantyStatus.VOID, (f"no {missing} environment",))


@pytest.mark.parametrize("differing", ["dev", "staging"])
def test_void_when_dev_or_staging_is_not_in_sync(
    workspace: Path, tmp_path: Path, differing: str
) -> None:
    found = warranty_of(shop(workspace), NOW, monitored(tmp_path, 1), in_sync(differing))
    assert (found.status, found.reasons) == (
        WarrantyStatus.VOID,
        (f"{differing} not in sync: 1 differences (php build)",),
    )


def test_void_when_staging_cannot_be_reached_for_drift(workspace: Path, tmp_path: Path) -> None:
    report = DriftReport("shop", ENVIRONMENTS, (), {}, unreachable=("web-staging (staging)",))
    found = warranty_of(shop(workspace), NOW, monitored(tmp_path, 1), report)
    assert found.reasons == ("staging not reachable to check drift",)


def test_drift_not_read_leaves_the_environments_unchecked_not_void(
    workspace: Path, tmp_path: Path
) -> None:
    found = warranty_of(shop(workspace), NOW, monitored(tmp_path, 1), None)
    assert found.status is WarrantyStatus.ACTIVE
    assert (holds(found)["dev"], holds(found)["staging"]) == (None, None)


def test_void_when_there_is_no_sla(workspace: Path, tmp_path: Path) -> None:
    project = shop(workspace, SHOP.replace("plan: standard", "plan: basic"))
    found = warranty_of(project, NOW, monitored(tmp_path, 1), in_sync())
    assert (found.status, found.reasons) == (
        WarrantyStatus.VOID,
        ("no SLA (neither the project's sla: nor its plan's)",),
    )


def test_every_reason_is_given_at_once(workspace: Path) -> None:
    project = shop(workspace, (GOOD + CARE).replace("plan: standard", "plan: basic"))
    found = warranty_of(project, NOW, Monitoring(None, 0), in_sync("staging"))
    assert found.reasons == (
        "monitoring is not running: no history kept",
        "no dev environment",
        "staging not in sync: 1 differences (php build)",
        "no SLA (neither the project's sla: nor its plan's)",
    )


# Accepted 2026-01-10 in Warsaw (UTC+1); 90 days later is 2026-04-10, after the clocks went
# forward on 2026-03-29: the warranty ends at midnight there, 22:00 UTC, not 23:00.
SPRING_END = dt.datetime(2026, 4, 9, 22, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (SPRING_END - dt.timedelta(seconds=1), WarrantyStatus.ACTIVE),
        (SPRING_END, WarrantyStatus.EXPIRED),
        (SPRING_END + dt.timedelta(minutes=30), WarrantyStatus.EXPIRED),  # 24 × 90 h: active
    ],
    ids=["last-second", "local-midnight", "half-past-midnight"],
)
def test_the_90_days_end_at_midnight_in_warsaw_across_the_spring_clock_change(
    workspace: Path, now: dt.datetime, status: WarrantyStatus
) -> None:
    project = shop(workspace, SHOP.replace("accepted: 2026-10-01", "accepted: 2026-01-10"))
    monitoring = Monitoring(now - dt.timedelta(hours=1), 1, "history test")
    found = warranty_of(project, now, monitoring, in_sync())
    assert found.status is status
    assert found.starts == dt.datetime(2026, 1, 9, 23, 0, tzinfo=dt.UTC)
    assert found.ends == SPRING_END
    assert found.ends is not None and found.ends.astimezone(WARSAW).hour == 0


def test_the_90_days_end_at_midnight_in_warsaw_across_the_autumn_clock_change(
    workspace: Path,
) -> None:
    # Accepted 2026-09-01 (UTC+2), ends 2026-11-30 (UTC+1): one hour longer than 90 × 24 h.
    project = shop(workspace, SHOP.replace("accepted: 2026-10-01", "accepted: 2026-09-01"))
    end = dt.datetime(2026, 11, 29, 23, 0, tzinfo=dt.UTC)
    before = end - dt.timedelta(minutes=30)  # 90 × 24 h after the start: still active
    found = warranty_of(project, before, Monitoring(before, 1, "history test"), in_sync())
    assert found.ends == end and found.status is WarrantyStatus.ACTIVE
    # The last result is fresh beyond the end: the next change is the expiry.
    assert found.next_change is not None
    assert (found.next_change.at, found.next_change.status) == (end, WarrantyStatus.EXPIRED)
    assert warranty_of(project, end, Monitoring(end, 1, "h"), in_sync()).status is (
        WarrantyStatus.EXPIRED
    )


def test_the_plan_and_the_project_set_the_length(workspace: Path, tmp_path: Path) -> None:
    project = shop(workspace, SHOP + "  warranty_days: 30\n")
    found = warranty_of(project, NOW, monitored(tmp_path, 1), in_sync())
    assert found.ends == dt.datetime(2026, 10, 31, tzinfo=WARSAW)
    assert (
        found.status is WarrantyStatus.EXPIRED
        and found.summary() == "expired: it covered 2026-10-01 through 2026-10-30"
    )


def test_the_project_time_zone_is_its_care_sections_when_given(workspace: Path) -> None:
    project = shop(workspace, SHOP + "  timezone: America/New_York\n")
    found = warranty_of(project, NOW, Monitoring(NOW, 1, "h"), in_sync())
    assert found.starts == dt.datetime(2026, 10, 1, 4, 0, tzinfo=dt.UTC)


def test_pending_before_the_acceptance_day(workspace: Path) -> None:
    project = shop(workspace, SHOP.replace("accepted: 2026-10-01", "accepted: 2026-12-01"))
    found = warranty_of(project, NOW, Monitoring(NOW, 1, "h"), in_sync())
    assert found.status is WarrantyStatus.PENDING
    assert found.next_change is not None
    assert (found.next_change.at, found.next_change.status) == (
        dt.datetime(2026, 12, 1, tzinfo=WARSAW),
        WarrantyStatus.ACTIVE,
    )


def test_none_without_a_care_plan_or_an_acceptance_date(workspace: Path) -> None:
    assert warranty_of(shop(workspace, GOOD), NOW, Monitoring(NOW, 1, "h")).reasons == (
        "no care plan (add care: to the inventory)",
    )
    unaccepted = shop(workspace, SHOP.replace("  accepted: 2026-10-01\n", ""))
    found = warranty_of(unaccepted, NOW, Monitoring(NOW, 1, "h"))
    assert (found.status, found.reasons, found.plan) == (
        WarrantyStatus.NONE,
        ("no acceptance date yet (add care.accepted to the inventory)",),
        "standard",
    )
