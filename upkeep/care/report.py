"""The monthly care report: what a client's fee bought in one month, as a value.

``build_care_report`` is pure: the project (its care plan), the month's SLA
report (upkeep.sla.monthly, the same figures ``upkeep sla report`` shows) and
what upkeep recorded (``Records``: update and refresh reports, certificate
check results, drift and provision runs, pins, monitoring) in, a frozen
``CareReport`` out. upkeep.care.records reads the records;
upkeep.reports.care renders the value in the client's language.

Nothing is invented: what upkeep does not record says so (``drift`` is
None when no run record could be read; the drift itself between runs is
never recorded, only that a check found some).

    >>> last_complete_month(dt.datetime(2026, 12, 6, 9, tzinfo=dt.UTC), ZoneInfo("Europe/Warsaw"))
    '2026-11'
    >>> cves_in(["8.2.36-1~deb12u1 (bookworm-security, urgency high), fixes CVE-2026-1234"])
    ('CVE-2026-1234',)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from upkeep.care.warranty import Monitoring, Warranty, warranty_of, zone_of
from upkeep.errors import UsageError
from upkeep.inventory import Project
from upkeep.inventory.care import Care
from upkeep.inventory.pins import Pins
from upkeep.inventory.service_calendar import ServiceCalendar
from upkeep.sla.availability import month_period
from upkeep.sla.report import SlaReport
from upkeep.versions import InvalidBuild, PhpBuild

FORMAT = "upkeep-care/1"  # the JSON document's version
LANGUAGES = ("pl", "en")
_CVE = re.compile(r"CVE-\d{4}-\d{4,}")


def cves_in(lines: Iterable[str]) -> tuple[str, ...]:
    """The CVE names in changelog summaries, each once, in order."""
    return tuple(dict.fromkeys(cve for line in lines for cve in _CVE.findall(line)))


def last_complete_month(now: dt.datetime, zone: ZoneInfo) -> str:
    """The month before ``now``'s month in ``zone``, as YYYY-MM."""
    first = now.astimezone(zone).date().replace(day=1)
    return f"{first - dt.timedelta(days=1):%Y-%m}"


# ---- what upkeep recorded (upkeep.care.records reads it) ---------------------------


@dataclass(frozen=True)
class RecordedUpdate:
    """One update run of the project, from its report (reports/update/PROJECT-RUN.json)."""

    run_id: str
    state: str  # succeeded, rolled back, nothing to do, ...
    from_build: str
    to_build: str
    started: dt.datetime
    finished: dt.datetime | None
    security: tuple[str, ...]  # the Debian changelog entries it brings, one line each
    offered: str | None  # the newest build of the line its check read (None: not read)
    newer_lines: tuple[str, ...]  # newer PHP lines the host's package sources offered
    source: str

    @property
    def applied(self) -> bool:
        return self.state == "succeeded"

    @property
    def cves(self) -> tuple[str, ...]:
        return cves_in(self.security)


@dataclass(frozen=True)
class RecordedRefresh:
    """One refresh into an environment, from its report (reports/refresh/)."""

    target: str
    at: dt.datetime
    ok: bool
    error: str | None
    source: str


@dataclass(frozen=True)
class CertificateReading:
    """The last certificate check result of an environment before the report's moment."""

    environment: str
    at: dt.datetime
    days_left: float  # as the check measured at ``at``
    warn: float | None
    check: str


@dataclass(frozen=True)
class DriftRuns:
    """The month's recorded ``drift`` and ``provision`` runs of the project (the state store)."""

    checks: int  # drift runs
    found: int  # of those, the ones that found differences (exit 1)
    provisions: int  # provision runs that succeeded: what brings an environment back
    source: str


@dataclass(frozen=True)
class RecordedProposal:
    """A major-upgrade proposal on file (reports/proposals/, ``upkeep propose``)."""

    from_line: str
    to_line: str
    hours: float  # the estimate's likeliest
    window: dt.datetime | None  # the recommended maintenance window's start
    source: str


@dataclass(frozen=True)
class Records:
    """Everything recorded about the project that the report reads (nothing filtered yet)."""

    pins: Pins
    monitoring: Monitoring  # production's results in the day before the report's moment
    updates: tuple[RecordedUpdate, ...] = ()
    refreshes: tuple[RecordedRefresh, ...] = ()
    certificates: tuple[CertificateReading, ...] = ()
    drift: DriftRuns | None = None  # None: no run record could be read
    proposals: tuple[RecordedProposal, ...] = ()


# ---- the report ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseTime:
    """How long one incident waited, in service time, against what its priority allows."""

    incident: int | str  # its id, as the SLA report has it
    priority: str | None
    response: dt.timedelta | None  # None: not answered yet
    response_allowed: dt.timedelta | None  # None: no deadline for its priority
    resolution: dt.timedelta | None
    resolution_allowed: dt.timedelta | None


@dataclass(frozen=True)
class Certificate:
    environment: str
    days_left: float  # at the report's moment: the expiry date stands still
    checked: dt.datetime
    warn: float | None


@dataclass(frozen=True)
class Coming:
    """What is ahead: a newer build of the line, newer lines, the warranty's end."""

    pinned: str | None  # production's pinned build
    pending: str | None  # a newer build of the line recorded as offered, not yet applied
    newer_lines: tuple[str, ...]
    offer_seen: dt.datetime | None  # when the offer was read (the last update check)
    major_proposals: bool  # the plan proposes major upgrades
    proposals: tuple[RecordedProposal, ...] = ()  # on file now


@dataclass(frozen=True)
class CareReport:
    project: str
    month: str  # YYYY-MM
    language: str  # pl or en
    zone: ZoneInfo  # the project's (upkeep.care.warranty.zone_of)
    start: dt.datetime  # the month, in ``zone``
    end: dt.datetime
    as_of: dt.datetime  # the month's end, or now while it runs
    now: dt.datetime
    care: Care | None
    sla: SlaReport | None  # None: the plan has no SLA
    sla_name: str | None  # the plan's policy by name; None: the project's own, or none
    response_times: tuple[ResponseTime, ...]
    updates: tuple[RecordedUpdate, ...]  # finished (or begun) in the month
    refreshes: tuple[RecordedRefresh, ...]
    certificates: tuple[Certificate, ...]
    drift: DriftRuns | None
    warranty: Warranty  # at ``as_of``
    coming: Coming

    @property
    def complete(self) -> bool:
        return self.as_of >= self.end

    @property
    def security_fixes(self) -> tuple[str, ...]:
        """The CVEs the month's applied updates fixed."""
        return cves_in(
            line for update in self.updates if update.applied for line in update.security
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: times in ISO 8601 in the project's zone, durations in seconds."""

        def iso(moment: dt.datetime | None) -> str | None:
            return None if moment is None else moment.astimezone(self.zone).isoformat()

        def seconds(duration: dt.timedelta | None) -> float | None:
            return None if duration is None else duration.total_seconds()

        care = self.care
        return {
            "format": FORMAT,
            "project": self.project,
            "month": self.month,
            "language": self.language,
            "timezone": self.zone.key,
            "period": {"start": iso(self.start), "end": iso(self.end), "as_of": iso(self.as_of)},
            "complete": self.complete,
            "generated": iso(self.now),
            "plan": None if care is None else care.model_dump(mode="json"),
            "sla": None if self.sla is None else self.sla.to_dict(),
            "response_times": [
                {
                    "incident": line.incident,
                    "priority": line.priority,
                    "response_seconds": seconds(line.response),
                    "response_allowed_seconds": seconds(line.response_allowed),
                    "resolution_seconds": seconds(line.resolution),
                    "resolution_allowed_seconds": seconds(line.resolution_allowed),
                }
                for line in self.response_times
            ],
            "updates": [
                {
                    "run_id": u.run_id,
                    "state": u.state,
                    "applied": u.applied,
                    "from_build": u.from_build,
                    "to_build": u.to_build,
                    "started": iso(u.started),
                    "finished": iso(u.finished),
                    "security": list(u.security),
                    "cves": list(u.cves),
                    "source": u.source,
                }
                for u in self.updates
            ],
            "security_fixes": list(self.security_fixes),
            "refreshes": [
                {
                    "target": r.target,
                    "at": iso(r.at),
                    "ok": r.ok,
                    "error": r.error,
                    "source": r.source,
                }
                for r in self.refreshes
            ],
            "certificates": [
                {
                    "environment": c.environment,
                    "days_left": round(c.days_left, 1),
                    "checked": iso(c.checked),
                }
                for c in self.certificates
            ],
            "drift": None
            if self.drift is None
            else {
                "checks": self.drift.checks,
                "found": self.drift.found,
                "provisions": self.drift.provisions,
                "differences_recorded": False,  # what a check found is not kept between runs
                "source": self.drift.source,
            },
            "warranty": self.warranty.to_dict(),
            "coming": {
                "pinned": self.coming.pinned,
                "pending_build": self.coming.pending,
                "newer_lines": list(self.coming.newer_lines),
                "offer_seen": iso(self.coming.offer_seen),
                "major_proposals": self.coming.major_proposals,
                "proposals": [
                    {
                        "from_line": p.from_line,
                        "to_line": p.to_line,
                        "hours": p.hours,
                        "window": iso(p.window),
                        "source": p.source,
                    }
                    for p in self.coming.proposals
                ],
                "warranty_ends": iso(self.warranty.ends),
            },
        }


def build_care_report(
    project: Project,
    month: str,
    sla: SlaReport | None,
    records: Records,
    now: dt.datetime,
    language: str | None = None,
) -> CareReport:
    """``project``'s care over ``month`` (YYYY-MM in its zone) as of ``now``.

    ``sla`` is the month's SLA report (None when the project has none);
    ``language`` defaults to the client's (``care.client.language``), else English.
    """
    if now.utcoffset() is None:
        raise UsageError(f"the report's now {now!r} has no time zone (give an aware datetime)")
    care = project.care
    chosen = language or (care.client.language if care else "en")
    if chosen not in LANGUAGES:
        raise UsageError(f"language {chosen!r} is not one of {', '.join(LANGUAGES)}")
    zone = zone_of(project)
    start, end = month_period(month, _calendar_of(zone))
    if now <= start:
        raise UsageError(
            f"month {month} has not begun at {now.astimezone(zone):%Y-%m-%d %H:%M} {zone.key} "
            "(ask for this month or an earlier one)"
        )
    as_of = min(now, end)
    return CareReport(
        project=project.name,
        month=month.strip(),
        language=chosen,
        zone=zone,
        start=start.astimezone(zone),
        end=end.astimezone(zone),
        as_of=as_of.astimezone(zone),
        now=now.astimezone(zone),
        care=care,
        sla=sla,
        sla_name=care.sla if care is not None and project.sla_from_plan else None,
        response_times=_response_times(sla),
        updates=tuple(u for u in records.updates if start <= (u.finished or u.started) < as_of),
        refreshes=tuple(r for r in records.refreshes if start <= r.at < as_of),
        certificates=tuple(_certificate(reading, as_of) for reading in records.certificates),
        drift=records.drift,
        warranty=warranty_of(project, as_of, records.monitoring),
        coming=_coming(records, care, as_of),
    )


def _calendar_of(zone: ZoneInfo) -> ServiceCalendar:
    return ServiceCalendar(zone.key)  # months are calendar months in the zone, whatever the hours


def _response_times(sla: SlaReport | None) -> tuple[ResponseTime, ...]:
    if sla is None:
        return ()
    calendar = sla.calendar

    def taken(done: dt.datetime | None, opened: dt.datetime) -> dt.timedelta | None:
        return None if done is None else calendar.service_time(opened, done)

    lines = []
    for line in sla.incidents:
        opened = line.incident.opened
        lines.append(
            ResponseTime(
                line.incident.id,
                None if line.incident.priority is None else str(line.incident.priority),
                taken(line.response.done, opened),
                taken(line.response.due, opened),  # the service time the priority allows
                taken(line.resolution.done, opened),
                taken(line.resolution.due, opened),
            )
        )
    return tuple(lines)


def _certificate(reading: CertificateReading, as_of: dt.datetime) -> Certificate:
    days = reading.days_left - (as_of - reading.at) / dt.timedelta(days=1)
    return Certificate(reading.environment, days, reading.at, reading.warn)


def _coming(records: Records, care: Care | None, as_of: dt.datetime) -> Coming:
    pinned = records.pins.get("production").php_build
    seen = [u for u in records.updates if u.started < as_of and u.offered is not None]
    last = max(seen, key=lambda u: u.started, default=None)
    pending = None
    if last is not None and last.offered is not None and pinned is not None:
        pending = last.offered if _newer(last.offered, pinned) else None
    return Coming(
        pinned=pinned,
        pending=pending,
        newer_lines=last.newer_lines if last else (),
        offer_seen=last.started if last else None,
        major_proposals=bool(care and care.major_proposals),
        proposals=records.proposals,
    )


def _newer(offered: str, pinned: str) -> bool:
    try:
        return PhpBuild.parse(offered) > PhpBuild.parse(pinned)
    except InvalidBuild:
        return False


__all__ = [
    "CareReport",
    "CertificateReading",
    "DriftRuns",
    "RecordedProposal",
    "RecordedRefresh",
    "RecordedUpdate",
    "Records",
    "build_care_report",
    "last_complete_month",
]
