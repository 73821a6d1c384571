"""The monthly care report rendered in the client's language: Markdown, HTML, PDF or JSON.

The HTML is one self-contained page (inline CSS with print rules, inline SVG
charts, no script, nothing fetched) that prints to a clean PDF; the PDF is
that page rendered by WeasyPrint with the machine's fonts (DejaVu on
Debian). Every sentence is made here or in the templates through the
language's catalogue (upkeep.reports.locale), every figure is the value's
(upkeep.care.report): the SLA figures are the SLA report's own.

    >>> render(report, "md").splitlines()[0]   # doctest: +SKIP
    '# Raport opieki: demo, listopad 2026'
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from typing import Any

import jinja2

from upkeep.care.report import CareReport, Certificate
from upkeep.care.warranty import Warranty, WarrantyStatus
from upkeep.errors import UsageError
from upkeep.inventory.service_calendar import ServiceCalendar
from upkeep.reports.care_charts import days_chart, response_chart
from upkeep.reports.locale import Language
from upkeep.sla.availability import Availability
from upkeep.sla.incidents import Deadline
from upkeep.templating import environment

FORMATS = ("md", "html", "pdf", "json")
TEXT_FORMATS = ("md", "html", "json")


def render(report: CareReport, fmt: str) -> str:
    """The report as ``md``, ``html`` or ``json`` text (``pdf``: ``render_pdf``)."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt not in TEXT_FORMATS:
        raise UsageError(f"unknown report format {fmt!r} (use md, html, pdf or json)")
    template = _environment(report.language).get_template(f"reports/care.{fmt}.j2")
    return template.render(**context(report))


def render_pdf(report: CareReport) -> bytes:
    """The HTML page printed by WeasyPrint (A4, its print CSS)."""
    from weasyprint import HTML  # heavy, and needs pango: only when a PDF is asked for

    pdf = HTML(string=render(report, "html")).write_pdf()
    assert pdf is not None
    return bytes(pdf)


@cache
def _environment(language: str) -> jinja2.Environment:
    env = environment().overlay(extensions=["jinja2.ext.i18n"])
    env.globals = dict(env.globals)  # an overlay shares its parent's: each language its own
    env.install_gettext_translations(Language.of(language).messages, newstyle=True)  # type: ignore[attr-defined]
    return env


# ---- what the templates show -------------------------------------------------------


def context(report: CareReport) -> dict[str, Any]:
    say = Language.of(report.language)
    zone = report.zone
    care = report.care
    return {
        "lang": report.language,
        "project": report.project,
        "client": care.client.name if care else None,
        "month_name": say.month(report.start.date()),
        "timezone": zone.key,
        "complete": report.complete,
        "as_of": say.when(report.as_of, zone),
        "generated": say.when(report.now, zone),
        "plan": _plan(report, say),
        "sla": _sla(report, say),
        "updates": [
            {
                "when": say.when(u.finished or u.started, zone),
                "change": f"{u.from_build} → {u.to_build}",
                "outcome": _word(u.state, say),
                "applied": u.applied,
                "security": list(u.security),
                "cves": ", ".join(u.cves),
            }
            for u in report.updates
        ],
        "security_fixes": ", ".join(report.security_fixes),
        "refreshes": [
            {
                "when": say.when(r.at, zone),
                "target": r.target,
                "outcome": say("ok") if r.ok else say("failed: %(why)s", why=r.error or "–"),
            }
            for r in report.refreshes
        ],
        "drift": None
        if report.drift is None
        else {
            "checks": say.plural("%(n)s drift check", "%(n)s drift checks", report.drift.checks),
            "found": say.plural(
                "%(n)s found differences", "%(n)s found differences", report.drift.found
            ),
            "provisions": say.plural(
                "%(n)s provision run", "%(n)s provision runs", report.drift.provisions
            ),
        },
        "certificates": [_certificate(c, say, zone) for c in report.certificates],
        "coming": _coming(report, say),
    }


def _plan(report: CareReport, say: Language) -> dict[str, Any] | None:
    care = report.care
    if care is None:
        return None
    yes, no = say("yes"), say("no")
    support = {"none": say("none"), "business-hours": say("business hours"), "24/7": "24/7"}
    accepted = say.date(care.accepted) if care.accepted else say("not signed yet")
    return {
        "name": care.plan,
        "parts": [
            (say("Monitoring"), yes if care.monitoring else no),
            (
                say("SLA"),
                report.sla_name or (say("the project's own") if report.sla else say("none")),
            ),
            (say("Environments kept"), ", ".join(care.environments)),
            (say("Minor PHP updates"), yes if care.minor_updates else no),
            (say("Major upgrade proposals"), yes if care.major_proposals else no),
            (say("Support"), support[care.support]),
            (say("Warranty"), say.plural("%(n)s day", "%(n)s days", care.warranty_days)),
            (say("Acceptance protocol"), accepted),
        ],
    }


def _sla(report: CareReport, say: Language) -> dict[str, Any] | None:
    sla = report.sla
    if sla is None:
        return None
    zone = report.zone
    a = sla.availability
    year = sla.year_to_date
    return {
        "calendar": describe_calendar(sla.calendar, say),
        **_figures(a, say),
        "observed": say.duration(a.observed),
        "unobserved": say.duration(a.unobserved) if a.unobserved else None,
        "service": say.duration(a.service),
        "allowed": say.duration(a.allowed),
        "used": say.duration(a.downtime),
        "excused": say.duration(a.excused),
        "gap": say.duration(sla.observation_gap),
        "year": None if year is None else {"name": str(report.start.year), **_figures(year, say)},
        "chart": days_chart(a.days, say),
        "incidents": [
            {
                "id": line.incident.id,
                "priority": line.incident.priority or "–",
                "check": line.incident.check,
                "summary": line.incident.summary,
                "opened": say.when(line.incident.opened, zone),
                "response": _deadline(line.response, say, zone),
                "resolution": _deadline(line.resolution, say, zone),
                "downtime": say.duration(line.downtime)
                if line.incident.affects_availability
                else say("not counted"),
            }
            for line in sla.incidents
        ],
        "responses": response_chart(report.response_times, say),
    }


def _figures(a: Availability, say: Language) -> dict[str, Any]:
    return {
        "target": say.target(a.target),
        "availability": say("not observed") if a.percent is None else say.percent(a.percent),
        "verdict": a.verdict,
        "verdict_text": _word(a.verdict, say, VERDICTS),
        "downtime": say.duration(a.downtime),
        "allowed_downtime": say.duration(a.allowed),
    }


def word(message: str) -> str:
    """Marks a message for the catalogue where it is written; ``say`` translates it later."""
    return message


# The values' own words (verdicts, deadline and run states) as the client reads them.
WORDS = {
    "met": word("met"),
    "missed": word("missed"),
    "pending": word("pending"),
    "no target": word("no target"),
    "on track": word("on track so far"),
    "not observed": word("not observed: no verdict"),
    "succeeded": word("applied"),
    "nothing to do": word("nothing to do"),
    "rolled back": word("rolled back"),
    "aborted": word("aborted"),
    "failed": word("failed"),
    "running": word("not finished"),
}
VERDICTS = {"met": word("target met"), "missed": word("target missed")}
WARRANTY = {
    "none": word("none"),
    "pending": word("not begun"),
    "active": word("active"),
    "void": word("void"),
    "expired": word("expired"),
}


# Why a warranty is void, by the evidence that failed (upkeep.care.warranty), for the client.
VOID_BECAUSE = {
    "monitoring": word("monitoring is not running: no check result of production in the last day"),
    "dev": word("the dev environment is missing, unreachable or not in sync"),
    "staging": word("the staging environment is missing, unreachable or not in sync"),
    "sla": word("there is no SLA"),
}


def _void_because(warranty: Warranty, say: Language) -> list[str]:
    """The failed evidence in the report's language (the warranty's own text is English),
    the first capitalised: they follow a full stop."""
    failed = [item for item in warranty.evidence if item.holds is False]
    said = [say(VOID_BECAUSE.get(item.what, item.text)) for item in failed]
    return [text[:1].upper() + text[1:] if n == 0 else text for n, text in enumerate(said)]


def _word(value: str, say: Language, words: dict[str, str] = WORDS) -> str:
    return say(words.get(value) or WORDS.get(value, value))


def _deadline(deadline: Deadline, say: Language, zone: Any) -> dict[str, str]:
    return {
        "done": say.when(deadline.done, zone),
        "due": say.when(deadline.due, zone),
        "status": _word(deadline.status.value, say),
        "class": deadline.status.value.replace(" ", "-"),
    }


def _certificate(c: Certificate, say: Language, zone: Any) -> dict[str, Any]:
    return {
        "environment": c.environment,
        "days": say.number(round(c.days_left, 1), 1),
        "checked": say.when(c.checked, zone),
        "warning": c.warn is not None and c.days_left <= c.warn,
    }


def _coming(report: CareReport, say: Language) -> dict[str, Any]:
    coming, warranty = report.coming, report.warranty
    status = _word(warranty.status.value, say, WARRANTY)
    ends = (warranty.ends - dt.timedelta(days=1)) if warranty.ends else None  # its last day
    return {
        "pinned": coming.pinned,
        "pending": coming.pending,
        "offer_seen": say.when(coming.offer_seen, report.zone) if coming.offer_seen else None,
        "newer_lines": ", ".join(coming.newer_lines),
        "major_proposals": coming.major_proposals,
        "proposals": [
            {
                "from_line": p.from_line,
                "to_line": p.to_line,
                "hours": say.number(p.hours, 1),
                "window": say.when(p.window, report.zone) if p.window else None,
            }
            for p in coming.proposals
        ],
        "warranty": status,
        "warranty_void": warranty.status is WarrantyStatus.VOID,
        "warranty_reasons": _void_because(warranty, say),
        "warranty_ends": say.date(ends.astimezone(report.zone).date()) if ends else None,
    }


def describe_calendar(calendar: ServiceCalendar, say: Language) -> str:
    """The service hours in the language: ``pon.–pt. 09:00–17:00`` and what closes them."""
    if calendar.always_open or calendar.week is None:
        hours = say("24/7")
    else:
        names = say.weekdays()
        runs: list[list[Any]] = []
        for index, day in enumerate(calendar.week):
            if day and runs and runs[-1][2] == day and runs[-1][1] == index - 1:
                runs[-1][1] = index
            elif day:
                runs.append([index, index, day])
        hours = "; ".join(
            (names[a] if a == b else f"{names[a]}–{names[b]}")
            + " "
            + ", ".join(f"{_clock(s)}–{_clock(e)}" for s, e in day)
            for a, b, day in runs
        )
    text = say("%(hours)s, %(zone)s time", hours=hours, zone=calendar.timezone)
    if calendar.holidays:
        text += ", " + say(
            "closed on public holidays in %(country)s", country=say.country(calendar.holidays)
        )
    return text


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
