"""The care report's charts as numbers an inline SVG lays out: no script, nothing fetched.

Availability per day: a bar per day of the month, its red part the day's
counted downtime, grey what no check result watched, green the rest; days
without service hours hatched. Response times: a bar per incident, the
service time it took against the time its priority allows (the dashed mark).

    >>> scale(dt.timedelta(minutes=30), dt.timedelta(hours=1), 200)
    100
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from upkeep.care.report import ResponseTime
from upkeep.reports.locale import Language
from upkeep.sla.availability import Day

HEIGHT = 120  # px of a full day's bar
BAR = 14
STEP = 18
LEFT = 40
MIN_MARK = 3  # px: a minute of downtime stays visible
ROW = 22  # px per incident
WIDTH = 420  # px of the longest response bar


def scale(part: dt.timedelta, whole: dt.timedelta, pixels: int) -> int:
    return round(pixels * part / whole) if whole else 0


def days_chart(days: tuple[Day, ...], say: Language) -> dict[str, Any]:
    bars = []
    for index, day in enumerate(days):
        x = LEFT + index * STEP
        red = grey = 0
        if day.state == "open":
            red = max(MIN_MARK, scale(day.downtime, day.measured, HEIGHT)) if day.downtime else 0
            grey = scale(day.unobserved, day.measured, HEIGHT) if day.unobserved else 0
            grey = min(grey, HEIGHT - red)
        label = say.date(day.date)
        if day.state == "open" and day.percent is not None:
            title = say(
                "%(day)s: %(percent)s available", day=label, percent=say.percent(day.percent)
            )
            if day.downtime:
                title += ", " + say("%(time)s down", time=say.duration(day.downtime))
        elif day.state == "closed":
            title = say("%(day)s: no service hours", day=label)
        elif day.state == "future":
            title = say("%(day)s: not yet", day=label)
        else:
            title = say("%(day)s: not observed", day=label)
        bars.append(
            {
                "x": x,
                "mid": x + BAR / 2,
                "state": day.state,
                "day": day.date.day,
                "weekday": say.weekday_letter(day.date),
                "title": title,
                "red": red,
                "grey": grey,
                "green": HEIGHT - red - grey,
            }
        )
    return {"bars": bars, "width": LEFT + len(days) * STEP + 10, "height": HEIGHT, "bar": BAR}


def response_chart(lines: tuple[ResponseTime, ...], say: Language) -> dict[str, Any] | None:
    """A bar per incident with a response: taken against allowed (None: nothing to draw)."""
    drawn = [line for line in lines if line.response is not None]
    if not drawn:
        return None
    longest = max(
        max(line.response or dt.timedelta(), line.response_allowed or dt.timedelta())
        for line in drawn
    )
    rows = []
    for index, line in enumerate(drawn):
        assert line.response is not None
        late = line.response_allowed is not None and line.response > line.response_allowed
        rows.append(
            {
                "y": 10 + index * ROW,
                "label": f"#{line.incident}" + (f" {line.priority}" if line.priority else ""),
                "width": max(2, scale(line.response, longest, WIDTH)),
                "allowed": None
                if line.response_allowed is None
                else 110 + scale(line.response_allowed, longest, WIDTH),
                "late": late,
                "text": say.duration(line.response)
                + (
                    ""
                    if line.response_allowed is None
                    else " / " + say.duration(line.response_allowed)
                ),
            }
        )
    return {"rows": rows, "height": 20 + len(rows) * ROW, "width": 110 + WIDTH + 150}
