"""A project's warranty, computed from what is observed, never declared.

The warranty runs from the start of the acceptance day for the plan's
``warranty_days`` (90 unless the plan or the project says otherwise), both ends
local midnights in the project's time zone (``care.timezone``, else its SLA
calendar's), so both stay at midnight across a clock change. Inside the
period it is *active* while everything holds, and *void* while any of these
fails, each reason with its evidence:

- monitoring is not running: no check result watched production in the last day
  (upkeep.monitor.history, as ``upkeep check`` records it);
- dev or staging is missing from the inventory, or differs from its desired
  state (a drift report, read live only when one is given: nothing records
  drift between runs);
- there is no SLA (neither the project's ``sla:`` nor its plan's).

Before the acceptance day it is *pending*, from the end of the period on
*expired*; a project without a care plan or an acceptance date has *none*.

    >>> from upkeep.inventory.care import Care, PlanParts
    >>> care = Care.model_validate({"plan": "basic", "accepted": "2026-01-10",
    ...     "client": {"name": "ACME", "contact": "it@acme.example"}},
    ...     context={"care_plans": {"basic": PlanParts()}})
    >>> period = warranty_period(care, ZoneInfo("Europe/Warsaw"))
    >>> [moment.isoformat() for moment in period]
    ['2026-01-10T00:00:00+01:00', '2026-04-10T00:00:00+02:00']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from upkeep.drift.compare import DriftReport
from upkeep.inventory import Project
from upkeep.inventory.care import Care

# A result older than this shows monitoring has stopped.
MONITORING_WINDOW = dt.timedelta(days=1)
WATCHED_ENVIRONMENT = "production"  # what the client's visitors see, and the SLA measures
KEPT_ENVIRONMENTS = ("dev", "staging")  # the package keeps these beside production
UTC = ZoneInfo("UTC")


class WarrantyStatus(StrEnum):
    NONE = "none"  # no care plan, or no acceptance date
    PENDING = "pending"  # accepted on a day still to come
    ACTIVE = "active"
    VOID = "void"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Evidence:
    """One thing looked at: what, whether it holds (None: not looked at), and where it came from."""

    what: str
    holds: bool | None
    text: str
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "holds": self.holds, "text": self.text, "source": self.source}


@dataclass(frozen=True)
class Change:
    """When the warranty's status changes next, to what, and why."""

    at: dt.datetime
    status: WarrantyStatus
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"at": self.at.isoformat(), "status": self.status.value, "why": self.why}


@dataclass(frozen=True)
class Monitoring:
    """Production's check results in the last day, as the monitoring history has them.

    ``source`` is empty when no history is kept at all.
    """

    last: dt.datetime | None
    count: int
    source: str = ""


@dataclass(frozen=True)
class Warranty:
    project: str
    status: WarrantyStatus
    reasons: tuple[str, ...]  # why it is void, or why there is none
    evidence: tuple[Evidence, ...]
    starts: dt.datetime | None
    ends: dt.datetime | None
    next_change: Change | None
    plan: str | None = None
    client: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "plan": self.plan,
            "client": self.client,
            "status": self.status.value,
            "reasons": list(self.reasons),
            "evidence": [item.to_dict() for item in self.evidence],
            "starts": self.starts.isoformat() if self.starts else None,
            "ends": self.ends.isoformat() if self.ends else None,
            "next_change": self.next_change.to_dict() if self.next_change else None,
        }

    @property
    def last_day(self) -> dt.date | None:
        """The last day covered, in the project's zone (None: no period)."""
        return None if self.ends is None else (self.ends - dt.timedelta(days=1)).date()

    def summary(self) -> str:
        """One line: the status, and its reasons or the days it covers."""
        if self.status in (WarrantyStatus.VOID, WarrantyStatus.NONE):
            return f"{self.status.value}: {'; '.join(self.reasons)}"
        if self.starts is None:
            return self.status.value
        if self.status is WarrantyStatus.PENDING:
            return f"pending: from {self.starts.date()} through {self.last_day}"
        if self.status is WarrantyStatus.EXPIRED:
            return f"expired: it covered {self.starts.date()} through {self.last_day}"
        return f"active through {self.last_day}"


def zone_of(project: Project) -> ZoneInfo:
    """The project's time zone: its care section's, else its SLA calendar's, else UTC."""
    care = project.care
    if care is not None and care.timezone is not None:
        return ZoneInfo(care.timezone)
    if project.sla is not None:
        return project.sla.service_calendar.zone
    return UTC


def warranty_period(care: Care, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """From the acceptance day's local midnight to the midnight ``warranty_days`` later.

    Calendar days, not 24-hour spans: across a clock change the period is an
    hour shorter or longer, and still ends at midnight.
    """
    if care.accepted is None:
        raise ValueError("no acceptance date")
    end_day = care.accepted + dt.timedelta(days=care.warranty_days)
    return _midnight(care.accepted, zone), _midnight(end_day, zone)


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def warranty_of(
    project: Project, now: dt.datetime, monitoring: Monitoring, drift: DriftReport | None = None
) -> Warranty:
    """``project``'s warranty at ``now``, from what ``monitoring`` and ``drift`` observed."""
    care = project.care
    if care is None or care.accepted is None:
        why = (
            "no care plan (add care: to the inventory)"
            if care is None
            else "no acceptance date yet (add care.accepted to the inventory)"
        )
        return Warranty(
            project.name,
            WarrantyStatus.NONE,
            (why,),
            (),
            None,
            None,
            None,
            care.plan if care else None,
        )
    zone = zone_of(project)
    starts, ends = warranty_period(care, zone)
    period = Evidence(
        "period",
        starts <= now < ends,
        f"{care.warranty_days} days from acceptance on {care.accepted}: "
        f"{starts:%Y-%m-%d} to {ends - dt.timedelta(days=1):%Y-%m-%d} ({zone.key} time)",
        f"care plan {care.plan}, {project.source.name}",
    )
    evidence = (
        period,
        _monitoring(monitoring, now),
        *(_environment(project, env, drift) for env in KEPT_ENVIRONMENTS),
        _sla(project),
    )
    reasons = tuple(item.text for item in evidence[1:] if item.holds is False)

    def result(
        status: WarrantyStatus, change: Change | None, why: tuple[str, ...] = ()
    ) -> Warranty:
        return Warranty(
            project.name, status, why, evidence, starts, ends, change, care.plan, care.client.name
        )

    if now < starts:
        return result(WarrantyStatus.PENDING, Change(starts, WarrantyStatus.ACTIVE, "accepted"))
    if now >= ends:
        return result(WarrantyStatus.EXPIRED, None)
    expiry = Change(ends, WarrantyStatus.EXPIRED, f"{care.warranty_days} days from acceptance")
    if reasons:
        return result(WarrantyStatus.VOID, expiry, reasons)
    stale = (monitoring.last + MONITORING_WINDOW) if monitoring.last else None
    if stale is not None and stale < ends:
        unless = "no check result for a day, unless monitoring records one before then"
        return result(WarrantyStatus.ACTIVE, Change(stale, WarrantyStatus.VOID, unless))
    return result(WarrantyStatus.ACTIVE, expiry)


def _monitoring(monitoring: Monitoring, now: dt.datetime) -> Evidence:
    if not monitoring.source:
        return Evidence("monitoring", False, "monitoring is not running: no history kept")
    if monitoring.last is None or now - monitoring.last > MONITORING_WINDOW:
        return Evidence(
            "monitoring",
            False,
            f"monitoring is not running: no check result in {WATCHED_ENVIRONMENT} in the last day",
            monitoring.source,
        )
    last = monitoring.last.astimezone(dt.UTC)
    return Evidence(
        "monitoring",
        True,
        f"{monitoring.count} check results in {WATCHED_ENVIRONMENT} in the last day, "
        f"the last at {last:%Y-%m-%d %H:%M} UTC",
        monitoring.source,
    )


def _environment(project: Project, env: str, drift: DriftReport | None) -> Evidence:
    if env not in project.environments:
        return Evidence(env, False, f"no {env} environment", project.source.name)
    if drift is None:
        return Evidence(env, None, f"{env} in the inventory; drift not checked (--drift reads it)")
    unreachable = [line for line in drift.unreachable if f"({env})" in line]
    if unreachable:
        return Evidence(env, False, f"{env} not reachable to check drift", "drift, live")
    differences = [item for item in drift.items if item.environment == env]
    if differences:
        aspects = ", ".join(sorted({item.aspect for item in differences}))
        text = f"{env} not in sync: {len(differences)} differences ({aspects})"
        return Evidence(env, False, text, "drift, live")
    return Evidence(env, True, f"{env} in sync", "drift, live")


def _sla(project: Project) -> Evidence:
    if project.sla is None:
        return Evidence("sla", False, "no SLA (neither the project's sla: nor its plan's)")
    care = project.care
    where = "the project's sla:"
    if care is not None and project.sla_from_plan:
        where = f"policy {care.sla} of plan {care.plan}"  # filled in from the plan
    return Evidence("sla", True, f"SLA {project.sla.target:g}% ({where})", project.source.name)
