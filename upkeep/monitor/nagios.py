"""Check results as a Nagios plugin prints them, so existing monitoring can run upkeep.

Following the Monitoring Plugins Development Guidelines: the exit code is the
worst state (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, ranked as their
``max_state_alt``: a known problem outranks not knowing); one first line
``UPKEEP <STATE> - <summary> | <perfdata>``; then one line per check.
Perfdata is ``'label'=value[UOM];[warn];[crit];[min];[max]`` with labels
quoted only when they hold a space, ``=`` or ``'`` (a ``'`` doubled), units
from the guidelines' list, plain decimals, thresholds in range format (``10``
alerts above 10, ``10:`` below it) and trailing empty fields dropped.

    >>> import datetime as dt
    >>> at = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    >>> out = render([CheckResult("demo", "production", "health", Status.OK, "200 in 41 ms", at,
    ...                           metrics={"time": Metric(0.041, "s", minimum=0)})])
    >>> print(out.text, end="")
    UPKEEP OK - demo production: 1 check OK | health_time=0.041s;;;0
    [OK] health: 200 in 41 ms
    >>> out.exit_code
    0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from upkeep.monitor.evaluate import severity, worst_status
from upkeep.monitor.result import CheckResult, Metric, Status

# The guidelines' units; anything else is converted or dropped (see _unit).
UNITS = frozenset({"", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"})
_FIRST_LINE_SUMMARY = 80


@dataclass(frozen=True)
class PluginOutput:
    text: str  # what goes to stdout, newline-terminated
    exit_code: int  # the worst state's number


def render(results: Sequence[CheckResult], *, name: str = "UPKEEP") -> PluginOutput:
    """The plugin output for these results (one project's environments, usually)."""
    if not results:
        return PluginOutput(f"{name} UNKNOWN - no checks ran\n", int(Status.UNKNOWN))
    worst = worst_status(r.status for r in results)
    scoped = _scope(results)
    problems = sorted(
        (r for r in results if r.status is not Status.OK),
        key=lambda r: -severity(r.status),
    )
    count = f"{len(results)} check{'s' if len(results) != 1 else ''}"
    if problems:
        listed = "; ".join(
            f"{_label_of(r, scoped)} {r.status.name}: {_short(r.summary)}" for r in problems
        )
        summary = f"{_where(results)}: {len(problems)} of {count} failing; {listed}"
    else:
        summary = f"{_where(results)}: {count} OK"
    perfdata = " ".join(
        perfdatum(f"{_label_of(r, scoped)}_{metric_name}", metric)
        for r in results
        for metric_name, metric in r.metrics.items()
    )
    first = f"{name} {worst.name} - {summary}"
    lines = [f"{first} | {perfdata}" if perfdata else first]
    for r in results:
        lines.append(f"[{r.status.name}] {_label_of(r, scoped, sep='/')}: {_text(r.summary)}")
        lines.extend(f"  {_text(detail)}" for detail in r.details)
    return PluginOutput("\n".join(lines) + "\n", int(worst))


def usage_error(message: str, *, name: str = "UPKEEP") -> PluginOutput:
    """Bad input under --nagios: UNKNOWN (3), as the guidelines want; 2 would read as CRITICAL.

    >>> usage_error("no project 'shop' (known: demo)").text
    "UPKEEP UNKNOWN - no project 'shop' (known: demo)\\n"
    """
    return PluginOutput(f"{name} UNKNOWN - {_text(message)}\n", int(Status.UNKNOWN))


def _scope(results: Sequence[CheckResult]) -> tuple[bool, bool]:
    """Whether labels need the project and the environment to stay unique."""
    projects = {r.project for r in results}
    places = {(r.project, r.environment) for r in results}
    return len(projects) > 1, len(places) > 1


def _label_of(result: CheckResult, scoped: tuple[bool, bool], sep: str = "_") -> str:
    with_project, with_environment = scoped
    parts = [result.project] if with_project else []
    parts += [result.environment] if with_environment or with_project else []
    return sep.join([*parts, result.check])


def _where(results: Sequence[CheckResult]) -> str:
    projects = sorted({r.project for r in results})
    environments = list(dict.fromkeys(r.environment for r in results))
    if len(projects) > 1:
        return f"{len(projects)} projects"
    if len(environments) > 1:
        return f"{projects[0]} ({', '.join(environments)})"
    return f"{projects[0]} {environments[0]}"


def _short(text: str) -> str:
    """A summary cut for the first line; the check's own line below has it whole."""
    text = _text(text)
    return text if len(text) <= _FIRST_LINE_SUMMARY else text[: _FIRST_LINE_SUMMARY - 1] + "…"


def _text(text: str) -> str:
    # A '|' would start the perfdata; a newline would start another line.
    return " ".join(text.replace("|", "/").split())


def perfdatum(label: str, metric: Metric) -> str:
    """One perfdata item, exactly as the guidelines spell it.

    >>> perfdatum("disk free", Metric(12.5, "%", 10, 5, 0, 100, lower_is_worse=True))
    "'disk free'=12.5%;10:;5:;0;100"
    >>> perfdatum("time", Metric(float("nan"), "s"))
    'time=Us'
    """
    unit, scale = _unit(metric.unit)
    value = _field(metric.value, scale) or "U"
    bound = ":" if metric.lower_is_worse else ""
    fields = [
        f"{value}{unit}",
        _field(metric.warn, scale, bound),
        _field(metric.crit, scale, bound),
        _field(metric.minimum, scale),
        _field(metric.maximum, scale),
    ]
    while fields[-1] == "":
        fields.pop()
    return f"{quote_label(label)}={';'.join(fields)}"


def _field(value: float | None, scale: float, suffix: str = "") -> str:
    scaled = value * scale if value is not None else math.nan
    if not math.isfinite(scaled):  # scaling may overflow what was finite
        return ""
    return f"{number(scaled)}{suffix}"


def _unit(unit: str) -> tuple[str, float]:
    """The unit to print and the factor for the numbers.

    GB is not in the guidelines' list: printed as MB (x1024, the plugins'
    binary multiples). An unknown unit is dropped rather than break parsers.
    """
    if unit in UNITS:
        return unit, 1.0
    if unit == "GB":
        return "MB", 1024.0
    return "", 1.0


def quote_label(label: str) -> str:
    """Quoted when it holds a space, '=' or a quote; a quote inside is doubled.

    Control characters become spaces and '|' a '/': either would break the output.

    >>> quote_label("health_time"), quote_label("it's"), quote_label("a=b")
    ('health_time', "'it''s'", "'a=b'")
    """
    label = "".join(c if c.isprintable() else " " for c in label).replace("|", "/")
    if any(c in label for c in " ='"):
        return "'" + label.replace("'", "''") + "'"
    return label


def number(value: float) -> str:
    """Plain decimal, never an exponent: what [-0-9.] allows.

    >>> number(1e-07), number(2.5e20), number(12.0), number(-0.0), number(0.1)
    ('0.0000001', '250000000000000000000', '12', '0', '0.1')
    """
    if value == int(value):
        return str(int(value))
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
