"""The one duration grammar: numbers with units, ``800ms``, ``30s``, ``5m``, ``1h30m``, ``2d``.

A duration is one or more parts, each a number (decimals allowed) and a unit
(``ms``, ``s``, ``m``, ``h``, ``d``; a day is 24 h), added up; at most ten
years. In a condition (``[RESPONSE_TIME] < 800ms``) it is one token, exactly
as the grammar spells it (``parse_duration``). Where people write it as a
YAML value (an SLA deadline) spaces and capitals are forgiven: ``1h 30m``,
`` 2D `` (``read_duration``). What range a duration may take (above zero, at
most a day) is each field's own rule.

    >>> parse_duration("1h30m"), parse_duration("800ms")
    (datetime.timedelta(seconds=5400), datetime.timedelta(microseconds=800000))
    >>> read_duration("1H 30m")
    datetime.timedelta(seconds=5400)
    >>> format_duration(read_duration("2d"))
    '48h'
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_UNIT_MS = {"ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3, "d": 86400e3}
_NUMBER_UNIT = r"([0-9]+(?:\.[0-9]+)?){space}(ms|s|m|h|d)"
_PART = re.compile(_NUMBER_UNIT.format(space=""))
# As written in YAML: spaces around, between the parts and before a unit.
_WRITTEN_PART = re.compile(r"\s*" + _NUMBER_UNIT.format(space=r"\s*"))
_LONGEST_MS = 10 * 366 * 86400e3


def parse_duration(text: str) -> dt.timedelta:
    """``1h30m``, ``72h``, ``800ms``, ``30d`` as a timedelta: one token, as in a condition.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    """
    if not isinstance(text, str) or not text:
        raise ValueError("expected a duration like 30s, 5m, 1h30m or 30d")
    total = _milliseconds(text, _PART)
    if total is None:
        raise ValueError(f"{text[:40]!r} is not a duration (write e.g. 30s, 5m, 1h30m or 30d)")
    return _bounded(text, total)


def read_duration(value: Any) -> dt.timedelta:
    """A duration as people write it in YAML: any case, spaces allowed (``1h 30m``, ``2D``).

    A timedelta passes as it is (a model_copy, say).

    >>> read_duration(" 4 h ")
    datetime.timedelta(seconds=14400)
    """
    if isinstance(value, dt.timedelta):
        return value
    text = value.strip().lower() if isinstance(value, str) else ""
    total = _milliseconds(text, _WRITTEN_PART) if text else None
    if total is None:
        got = repr(value[:40]) if isinstance(value, str) else f"{type(value).__name__} {value!r}"
        raise ValueError(f"expected a duration such as 30m, 4h or 1h30m, got {got}")
    return _bounded(value, total)


def _milliseconds(text: str, part: re.Pattern[str]) -> float | None:
    """The parts of ``text`` added up, or None when ``text`` is not parts only."""
    total = 0.0
    pos = 0
    while pos < len(text):
        match = part.match(text, pos)
        if match is None:
            return None
        total += float(match.group(1)) * _UNIT_MS[match.group(2)]
        pos = match.end()
    return total


def _bounded(text: str, milliseconds: float) -> dt.timedelta:
    if milliseconds > _LONGEST_MS:
        raise ValueError(f"{text[:40]!r} is too long a duration (at most ten years)")
    return dt.timedelta(milliseconds=milliseconds)


def format_duration(duration: dt.timedelta) -> str:
    """A duration as the grammar writes it, in hours and minutes: ``1h30m``, ``48h``.

    Seconds are written only when there are some (``1m30s``).

    >>> format_duration(dt.timedelta(minutes=90)), format_duration(dt.timedelta(seconds=90))
    ('1h30m', '1m30s')
    """
    whole = duration.total_seconds()
    minutes, seconds = divmod(whole, 60)
    hours, minutes = divmod(int(minutes), 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    if seconds:
        text += f"{seconds:g}s"
    return text or "0m"
