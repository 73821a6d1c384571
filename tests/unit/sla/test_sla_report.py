"""The month's report: its figures, and the JSON, Markdown and HTML it renders to."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tests.unit.sla.conftest import at, hours, policy
from upkeep.errors import UsageError
from upkeep.reports.sla import human, render
from upkeep.sla.incidents import Maintenance, SlaIncident
from upkeep.sla.report import SlaReport, build_report

END_OF_NOV = at(2026, 12, 1, 8)


def _incidents() -> list[SlaIncident]:
    return [
        # P1 Fri 20 Nov 16:30 → Mon 23 Nov 12:00. Down Fri 16:30-17:00 + Mon 09:00-12:00 = 3.5 h,
        # of which Mon 11:00-11:30 is in maintenance: 3 h counted, 0.5 h excused.
        # Response due Fri 17:00 (met at 16:40); resolution due Mon 12:30 (met at 12:00).
        SlaIncident(
            "12",
            "health",
            "production",
            "P1",
            at(2026, 11, 20, 16, 30),
            responded=at(2026, 11, 20, 16, 40),
            resolved=at(2026, 11, 23, 12),
            summary="502 | Bad <Gateway>",
        ),
        # A certificate warning: deadlines apply, downtime does not. P2 from Tue 24 Nov 10:00:
        # response (2 h) due 12:00; resolution (16 h): Tue 10-17 (7 h) + Wed (8 h) + Thu 09-10
        # (1 h) → Thu 26 Nov 10:00. Never answered: both missed by the end of the month.
        SlaIncident(
            "13",
            "tls",
            "production",
            "P2",
            at(2026, 11, 24, 10),
            affects_availability=False,
        ),
        # P1 Thu 26 Nov 10:00-10:30, answered at 11:00 (response due 10:30: missed).
        SlaIncident(
            "14",
            "health",
            "production",
            "P1",
            at(2026, 11, 26, 10),
            responded=at(2026, 11, 26, 11),
            resolved=at(2026, 11, 26, 10, 30),
        ),
        # From October, resolved in October: not this month's.
        SlaIncident(
            "9", "health", "production", "P1", at(2026, 10, 5, 10), resolved=at(2026, 10, 5, 11)
        ),
        # Opened in October, resolved 2 Nov 10:00: Mon 2 Nov 09:00-10:00 = 1 h this month.
        # No response recorded: the resolution answers it (P3 response 8 h: Fri 16-17 + Mon
        # 09:00-16:00 → due Mon 2 Nov 16:00; resolved 10:00, met).
        SlaIncident(
            "10", "db", "production", "P3", at(2026, 10, 30, 16), resolved=at(2026, 11, 2, 10)
        ),
    ]


MAINTENANCE = [Maintenance(at(2026, 11, 23, 11), at(2026, 11, 23, 11, 30), "PHP 8.2.36")]


@pytest.fixture
def report() -> SlaReport:
    return build_report(policy(), "demo", "2026-11", _incidents(), MAINTENANCE, END_OF_NOV)


def test_the_months_figures(report: SlaReport) -> None:
    a = report.availability
    assert a.service == hours(160)
    # Counted: 3 h (#12) + 0.5 h (#14) + 1 h (#10) = 4.5 h; excused 0.5 h.
    assert (a.downtime, a.excused) == (hours(4.5), hours(0.5))
    # 1 − 4.5/160 = 1 − 0.028125 = 97.1875 %.
    assert float(a.percent) == 97.1875
    assert a.verdict == "missed"


def test_the_incidents_of_the_month_in_opening_order(report: SlaReport) -> None:
    assert [line.incident.id for line in report.incidents] == ["10", "12", "13", "14"]
    by_id = {line.incident.id: line for line in report.incidents}
    assert by_id["12"].downtime == hours(3) and by_id["12"].excused == hours(0.5)
    assert by_id["13"].downtime == dt.timedelta()
    assert by_id["13"].resolution.due == at(2026, 11, 26, 10)
    assert by_id["10"].downtime == hours(1)
    # #10 (P3, 40 h) from Fri 30 Oct 16:00: 1 h + Mon 2 Nov – Thu 5 Nov 4 × 8 h = 33 h,
    # then Fri 6 Nov 09:00 + 7 h = 16:00. Resolved 2 Nov: met.
    assert by_id["10"].resolution.due == at(2026, 11, 6, 16)
    assert by_id["10"].resolution.status.value == "met"
    assert by_id["10"].response.due == at(2026, 11, 2, 16)
    assert by_id["10"].response.status.value == "met"


def test_json_round_trips(report: SlaReport) -> None:
    text = render(report, "json")
    data = json.loads(text)
    assert data == report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["format"] == "upkeep-sla/1"
    assert data["seconds"]["service"] == 160 * 3600
    assert data["seconds"]["allowed"] == 576  # 0.1 % of 160 h
    assert data["seconds"]["remaining"] == 576 - 4.5 * 3600
    assert data["availability_percent"] == 97.1875
    assert len(data["days"]) == 30
    incident = next(i for i in data["incidents"] if i["id"] == "12")
    # Times in the calendar's zone (CET in November).
    assert incident["opened"] == "2026-11-20T16:30:00+01:00"
    assert incident["resolution"] == {
        "due": "2026-11-23T12:30:00+01:00",
        "done": "2026-11-23T12:00:00+01:00",
        "status": "met",
    }


def test_markdown_has_the_figures_and_a_row_per_incident(report: SlaReport) -> None:
    md = render(report, "md")
    assert md.startswith("# SLA report: demo, November 2026\n")
    assert "**Target missed.** Availability 97.187 % against a target of 99.9 %." in md
    assert "| Service time in the month | 160 h |" in md
    assert "| Downtime allowed | 9 min 36 s |" in md
    assert "| Downtime used | 4 h 30 min |" in md
    # Overspent: 4.5 h − 9.6 min = 270 − 9.6 = 260.4 min = 4 h 20 min 24 s → shown as 4 h 20 min.
    assert "| Budget overspent by | 4 h 20 min |" in md
    assert "Closed this month: Wed 2026-11-11 (National Independence Day)." in md
    rows = [line for line in md.splitlines() if re.match(r"\| \d+ \| P\d \|", line)]
    assert [row.split(" | ")[0] for row in rows] == ["| 10", "| 12", "| 13", "| 14"]
    row12 = next(row for row in rows if row.startswith("| 12 "))
    # The pipe in the summary is escaped so the row keeps its columns.
    assert "502 \\| Bad <Gateway>" in row12
    assert "| Fri 2026-11-20 16:30 | Fri 2026-11-20 16:40 | Fri 2026-11-20 17:00 | met |" in row12
    assert "| Mon 2026-11-23 12:00 | Mon 2026-11-23 12:30 | met | 3 h |" in row12
    row13 = next(row for row in rows if row.startswith("| 13 "))
    assert row13.endswith("| – | Thu 2026-11-26 10:00 | missed | not counted |")
    assert "| Mon 2026-11-23 11:00 | Mon 2026-11-23 11:30 | PHP 8.2.36 |" in md


def test_html_is_one_page_with_a_bar_per_day(report: SlaReport) -> None:
    html = render(report, "html")
    assert html.count("<svg") == 1
    days = re.findall(r'<g class="day (\w+)">', html)
    assert len(days) == 30
    # Nov 2026: weekends 1, 7, 8, 14, 15, 21, 22, 28, 29 and the 11th are closed: 10; 20 open.
    assert days.count("closed") == 10 and days.count("open") == 20
    assert "<title>Wed 2026-11-11: National Independence Day</title>" in html
    # Mon 23 Nov: down 09:00-12:00 less the 30 min excused = 2.5 h of 8 h → 68.750 %.
    assert (
        "<title>Mon 2026-11-23: 68.750 % available, 2 h 30 min down, 30 min in maintenance</title>"
        in html
    )
    # Self-contained: no script, no external file, no link out.
    assert "<script" not in html and "src=" not in html and "http" not in html
    assert "<link" not in html
    # The summary is escaped.
    assert "502 | Bad &lt;Gateway&gt;" in html
    assert "97.187 %" in html and "99.9 %" in html


def test_a_month_still_running() -> None:
    now = at(2026, 11, 16)
    report = build_report(policy(), "demo", "2026-11", [], [], now)
    html, md = render(report, "html"), render(report, "md")
    days = re.findall(r'<g class="day (\w+)">', html)
    # 1–15 Nov measured; 16–30: weekends 21, 22, 28, 29 closed, the other 11 days future.
    assert days.count("future") == 11
    assert "**On track so far.** Availability 100.000 %" in md
    assert "measured up to Mon 2026-11-16 00:00; the month is still running" in md


def test_a_24_7_month_with_no_incidents() -> None:
    report = build_report(policy(hours=None, holidays=None), "demo", "2026-10", [], [], END_OF_NOV)
    md = render(report, "md")
    assert "| Service time in the month | 745 h |" in md  # 31 × 24 + 1 (25 Oct)
    # 0.1 % of 745 h = 0.745 h = 44.7 min = 44 min 42 s.
    assert "| Downtime allowed | 44 min 42 s |" in md
    assert "No incidents this month." in md
    assert "Service calendar: 24/7 (Europe/Warsaw time)." in md


def test_bad_requests_are_usage_errors(report: SlaReport) -> None:
    with pytest.raises(UsageError, match="unknown report format 'pdf'"):
        render(report, "pdf")
    with pytest.raises(UsageError, match="month 2026-12 has not begun"):
        build_report(policy(), "demo", "2026-12", [], [], at(2026, 11, 30))
    with pytest.raises(UsageError, match="is not a month"):
        build_report(policy(), "demo", "11/2026", [], [], at(2026, 11, 30))
    with pytest.raises(UsageError, match="no time zone"):
        build_report(policy(), "demo", "2026-11", [], [], dt.datetime(2026, 12, 1))


def test_the_same_input_renders_the_same_bytes() -> None:
    first = build_report(policy(), "demo", "2026-11", _incidents(), MAINTENANCE, END_OF_NOV)
    again = build_report(
        policy(), "demo", "2026-11", reversed(_incidents()), MAINTENANCE, END_OF_NOV
    )
    for fmt in ("md", "html", "json"):
        assert render(first, fmt) == render(again, fmt)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 min"),
        (45, "45 s"),
        (576, "9 min 36 s"),
        (3600, "1 h"),
        (5400, "1 h 30 min"),
        (576000, "160 h"),
    ],
)
def test_durations_for_people(seconds: int, text: str) -> None:
    assert human(dt.timedelta(seconds=seconds)) == text
