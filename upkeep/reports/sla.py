"""A month's (or a year's) SLA report rendered: JSON, Markdown, or HTML with a chart per day
(a year: a table per month).

The HTML is one self-contained page (inline CSS, an inline SVG bar per day, no
script, nothing fetched) that a client can open from an email. The value is
upkeep.sla.report's ``SlaReport``; every text the templates show is made here.

    >>> from upkeep.inventory.sla import SlaPolicy
    >>> from upkeep.sla.report import build_report
    >>> end = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    >>> policy = SlaPolicy.model_validate({"target": 99.5, "calendar": {"timezone": "UTC"}})
    >>> report = build_report(policy, "demo", "2026-11", [], [], now=end, observed=[])
    >>> render(report, "md").splitlines()[0]
    '# SLA report: demo, November 2026'
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from upkeep.errors import UsageError
from upkeep.reports.files import FORMATS
from upkeep.sla.availability import Availability, Day, percent_text
from upkeep.sla.report import IncidentLine, SlaReport
from upkeep.templating import render as render_template


def render(report: SlaReport, fmt: str) -> str:
    """The report as ``md``, ``html`` or ``json`` text."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r} (use md, html or json)")
    return render_template(f"reports/sla.{fmt}.j2", **_context(report))


# ---- what the templates show: text made here, so they only lay it out -------------

_HEADLINES = {
    "met": "Target met.",
    "missed": "Target missed.",
    "on track": "On track so far.",
    "not observed": "Not observed: no check result watched this {period}, so no verdict.",
}
CHART_HEIGHT = 120  # px of a full bar
BAR_WIDTH = 18
BAR_STEP = 24
MIN_MARK = 3  # px: a minute of downtime stays visible on a day's bar


def _context(report: SlaReport) -> dict[str, Any]:
    a = report.availability
    first = report.local(a.start)
    assert first is not None
    remaining = a.remaining
    return {
        "project": report.project,
        "period": report.period,
        "period_word": "year" if report.is_year else "month",
        "period_name": first.strftime("%Y" if report.is_year else "%B %Y"),
        "generated": _when(report.local(report.now)),
        "timezone": report.calendar.timezone,
        "calendar": report.calendar.describe(),
        "locations": ", ".join(report.locations),
        "complete": a.complete,
        "measured_until": _when(report.local(a.until)),
        "target": f"{float(a.target):g} %",
        "availability": "not observed" if a.percent is None else f"{percent_text(a.percent)} %",
        "verdict": a.verdict,
        "headline": _HEADLINES[a.verdict].format(period="year" if report.is_year else "month"),
        "service": human(a.service),
        "measured": human(a.measured),
        "observed": human(a.observed),
        "unobserved": human(a.unobserved) if a.unobserved else None,
        "unobserved_days": _unobserved_days(a.days),
        "gap": human(report.observation_gap),
        "allowed": human(a.allowed),
        "used": human(a.downtime),
        "excused": human(a.excused),
        "remaining": human(remaining) if remaining >= dt.timedelta() else "none",
        "overspent": human(-remaining) if remaining < dt.timedelta() else None,
        "closed_days": [
            {"date": _date(day.date), "reason": day.closed_reason}
            for day in a.days
            if day.closed_reason is not None
        ],
        "incidents": [_incident_view(report, line) for line in report.incidents],
        "shared_downtime": sum((line.downtime for line in report.incidents), dt.timedelta())
        > a.downtime,
        "maintenance": [
            {
                "start": _when(report.local(m.start)),
                "end": _when(report.local(m.end)),
                "reason": m.reason,
                "reason_md": _md(m.reason),
            }
            for m in report.maintenance
        ],
        "chart": None if report.is_year else _chart(a.days),
        "months": [_part_view(report, month, "%B") for month in report.months],
        "year_to_date": None
        if report.year_to_date is None
        else _part_view(report, report.year_to_date, "%Y"),
    }


def _part_view(report: SlaReport, a: Availability, name: str) -> dict[str, Any]:
    """A part of the period in one row: a month of a year, or a month's year to date."""
    first, last = report.local(a.start), report.local(a.until)
    assert first is not None and last is not None
    return {
        "name": first.strftime(name),
        "until": _when(last),
        "availability": "not observed" if a.percent is None else f"{percent_text(a.percent)} %",
        "verdict": a.verdict,
        "service": human(a.service),
        "observed": human(a.observed),
        "allowed": human(a.allowed),
        "used": human(a.downtime),
        "excused": human(a.excused),
    }


def _incident_view(report: SlaReport, line: IncidentLine) -> dict[str, Any]:
    incident = line.incident
    return {
        "id": incident.id,
        "priority": "–" if incident.priority is None else str(incident.priority),
        "check": incident.check,
        "environment": incident.environment,
        "summary": incident.summary,
        "summary_md": _md(incident.summary),
        "consequences": list(incident.consequences),
        "consequences_md": _md("; ".join(incident.consequences)),
        "locations": ", ".join(incident.locations),
        "down": incident.affects_availability,
        "opened": _when(report.local(incident.opened)),
        "responded": _when(report.local(line.response.done))
        + (" (resolved)" if line.response.done and incident.responded is None else ""),
        "resolved": _when(report.local(line.resolution.done)),
        "response_due": _when(report.local(line.response.due)),
        "resolution_due": _when(report.local(line.resolution.due)),
        "response_status": line.response.status.value,
        "resolution_status": line.resolution.status.value,
        "downtime": human(line.downtime) if incident.affects_availability else "not counted",
    }


def _unobserved_days(days: tuple[Day, ...]) -> str:
    """The days with unobserved service time, as runs: ``Sun 2026-11-01 – Thu 2026-11-05``."""
    runs: list[list[dt.date]] = []
    for day in days:
        if not day.unobserved:
            continue
        if runs and (day.date - runs[-1][-1]).days == 1:
            runs[-1].append(day.date)
        else:
            runs.append([day.date])
    return ", ".join(
        _date(run[0]) if len(run) == 1 else f"{_date(run[0])} – {_date(run[-1])}" for run in runs
    )


def _chart(days: tuple[Day, ...]) -> dict[str, Any]:
    """One bar per day: green up, red counted downtime, blue maintenance, grey unobserved;
    hatched when closed."""
    bars = []
    for index, day in enumerate(days):
        x = 40 + index * BAR_STEP
        red = blue = grey = 0
        if day.state == "open":
            share = day.measured.total_seconds()
            red = _mark(day.downtime.total_seconds() / share) if day.downtime else 0
            blue = _mark(day.excused.total_seconds() / share) if day.excused else 0
            grey = _mark(day.unobserved.total_seconds() / share) if day.unobserved else 0
            grey = min(grey, CHART_HEIGHT - red - blue)
        percent = day.percent
        if day.state == "closed":
            title = f"{_date(day.date)}: {day.closed_reason or 'no service hours'}"
        elif day.state == "future":
            title = f"{_date(day.date)}: not yet"
        elif day.state == "unobserved":
            title = f"{_date(day.date)}: not observed ({human(day.unobserved)} of service time)"
        else:
            assert percent is not None
            title = f"{_date(day.date)}: {percent_text(percent)} % available"
            if day.downtime:
                title += f", {human(day.downtime)} down"
            if day.excused:
                title += f", {human(day.excused)} in maintenance"
            if day.unobserved:
                title += f", {human(day.unobserved)} not observed"
        bars.append(
            {
                "x": x,
                "label_x": x + BAR_WIDTH / 2,
                "state": day.state,
                "day": day.date.day,
                "weekday": day.date.strftime("%a")[0],
                "title": title,
                "red": red,
                "blue": blue,
                "grey": grey,
                "green": CHART_HEIGHT - red - blue - grey,
                "minutes": round(day.downtime.total_seconds() / 60) if day.downtime else None,
            }
        )
    return {
        "bars": bars,
        "width": 40 + len(days) * BAR_STEP + 10,
        "height": CHART_HEIGHT,
        "bar_width": BAR_WIDTH,
        "top": 20,  # room for the minutes above a bar
    }


def _mark(share: float) -> int:
    return min(CHART_HEIGHT, max(MIN_MARK, round(share * CHART_HEIGHT)))


def human(duration: dt.timedelta) -> str:
    """A duration for people: ``160 h``, ``9 min 36 s``, ``2 h 5 min``, ``0 min``.

    >>> human(dt.timedelta(seconds=576)), human(dt.timedelta(hours=160, minutes=5))
    ('9 min 36 s', '160 h 5 min')
    """
    seconds = round(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    parts.append(f"{seconds} s" if seconds and not hours else "")
    return " ".join(p for p in parts if p) or "0 min"


def _md(text: str) -> str:
    """Text that stays inside its Markdown table cell."""
    return " ".join(text.replace("|", "\\|").splitlines())


def _when(moment: dt.datetime | None) -> str:
    return "–" if moment is None else moment.strftime("%a %Y-%m-%d %H:%M")


def _date(day: dt.date) -> str:
    return day.strftime("%a %Y-%m-%d")
