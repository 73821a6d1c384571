"""Check results, incidents and a check run for people (a table) and for programs
(JSON-ready dicts).

Nagios and Prometheus have their own modules (upkeep.monitor.nagios,
upkeep.monitor.prometheus); all four render the same CheckResult values.

    >>> import datetime as dt
    >>> at = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    >>> print(table([CheckResult("demo", "production", "health", Status.OK, "200 in 41 ms", at,
    ...                          seconds=0.041, kind="http")]))
    CHECK   STATUS  SUMMARY       TOOK
    ------  ------  ------------  -----
    health  OK      200 in 41 ms  0.04s
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from upkeep.monitor.evaluate import worst_status
from upkeep.monitor.incidents import Consequence, Incident, Transition
from upkeep.monitor.result import CheckResult, Metric, Status
from upkeep.reports.text import table as _table

if TYPE_CHECKING:
    from upkeep.monitor.workflow import CheckRun


def table(results: Sequence[CheckResult]) -> str:
    """One row per check (with its environment when there are several), then problems' details."""
    if not results:
        return "no checks ran"
    several = len({(r.project, r.environment) for r in results}) > 1
    projects = len({r.project for r in results}) > 1
    headers = [*(["PROJECT"] if projects else []), *(["ENVIRONMENT"] if several else [])]
    headers += ["CHECK", "STATUS", "SUMMARY", "TOOK"]
    rows = []
    for r in results:
        where = [*([r.project] if projects else []), *([r.environment] if several else [])]
        summary = f"{r.summary} (because {r.cause} failed)" if r.cause else r.summary
        rows.append([*where, r.check, r.status.name, summary, f"{r.seconds:.2f}s"])
    lines = [_table(headers, rows)]
    for r in results:
        if r.status.is_problem and r.details:
            name = f"{r.environment}/{r.check}" if several else r.check
            lines.append(f"\n{name}:")
            lines.extend(f"  {detail}" for detail in r.details)
    return "\n".join(lines)


def exit_code(results: Sequence[CheckResult]) -> int:
    """For the table and JSON too, the plugin's code: the worst state's number (0 OK,
    1 WARNING, 2 CRITICAL, 3 UNKNOWN), as docs/scheduling.md promises timers and CI.

    >>> import datetime as dt
    >>> at = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    >>> exit_code([CheckResult("demo", "production", "tls", Status.WARNING, "14 days", at)])
    1
    """
    return int(worst_status(r.status for r in results))


def result_dict(result: CheckResult) -> dict[str, Any]:
    """One result as JSON-ready values (non-finite numbers become null)."""
    return {
        "project": result.project,
        "environment": result.environment,
        "check": result.check,
        "kind": result.kind,
        "status": result.status.name,
        "summary": result.summary,
        "headline": result.headline or None,
        "cause": result.cause or None,  # the check whose failure this one follows from
        "location": result.location or None,  # where it was taken from; None: not named
        "at": result.at.isoformat(),
        "seconds": _finite(result.seconds),
        "affects_availability": result.affects_availability,
        "metrics": {name: _metric(metric) for name, metric in result.metrics.items()},
        "details": list(result.details),
    }


def report_dict(results: Sequence[CheckResult]) -> dict[str, Any]:
    """Every result, with the worst status and a count per status.

    >>> report_dict([])["status"], report_dict([])["counts"]
    ('OK', {'OK': 0, 'WARNING': 0, 'CRITICAL': 0, 'UNKNOWN': 0})
    """
    counts = Counter(r.status for r in results)
    return {
        "status": worst_status(r.status for r in results).name,
        "counts": {status.name: counts.get(status, 0) for status in Status},
        "results": [result_dict(r) for r in results],
    }


def check_run_dict(done: CheckRun) -> dict[str, Any]:
    """A check run as JSON-ready values: its results, incidents changed and alerts sent."""
    return {
        "project": done.project,
        "environments": list(done.environments),
        **report_dict(done.results),
        "incidents": [transition_dict(t) for t in done.transitions],
        "alerts": [
            {"channel": d.channel, "target": d.target, "ok": d.ok, "detail": d.detail}
            for d in done.deliveries
        ],
        "history": str(done.history) if done.history else None,
    }


def transition_dict(t: Transition) -> dict[str, Any]:
    return {
        "change": t.change.value,
        "in_maintenance": t.in_maintenance,
        **incident_dict(t.incident),
    }


def _when(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def incident_dict(
    incident: Incident, consequences: Sequence[Consequence] | None = None
) -> dict[str, Any]:
    """The incident as JSON; with ``consequences`` (from the history), those under it too."""
    listed = {} if consequences is None else {"consequences": _consequence_dicts(consequences)}
    return {
        "id": incident.id,
        "project": incident.project,
        "environment": incident.environment,
        "check": incident.check,
        "priority": incident.priority.value,
        "worst": incident.worst.name,
        "summary": incident.summary,
        "opened": _when(incident.opened),
        "down_since": _when(incident.down_since),
        "acknowledged": _when(incident.acknowledged),
        "resolved": _when(incident.resolved),
        "affects_availability": incident.affects_availability,
        "details": list(incident.details),
        "locations": list(incident.locations),  # those that agreed it failed
        **listed,
    }


def _consequence_dicts(consequences: Sequence[Consequence]) -> list[dict[str, Any]]:
    return [
        {
            "check": c.check,
            "worst": c.worst.name,
            "first": _when(c.first),
            "last": _when(c.last),
            "summary": c.summary,
        }
        for c in consequences
    ]


def _metric(metric: Metric) -> dict[str, Any]:
    return {
        "value": _finite(metric.value),
        "unit": metric.unit,
        "warn": _finite(metric.warn),
        "crit": _finite(metric.crit),
        "min": _finite(metric.minimum),
        "max": _finite(metric.maximum),
        "lower_is_worse": metric.lower_is_worse,
    }


def _finite(value: float | None) -> float | None:
    # json.dumps would write NaN and Infinity, which is not JSON.
    return value if value is not None and math.isfinite(value) else None
