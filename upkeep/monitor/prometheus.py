"""Check results as a Prometheus textfile, for node_exporter's textfile collector.

Text exposition format 0.0.4: ``# HELP`` and ``# TYPE`` once per family, its
samples together, label values escaped (``\\\\``, ``\\"``, ``\\n``), no
timestamps (the collector refuses them). The file is replaced atomically, so
the collector never reads half of one.

    >>> import datetime as dt
    >>> at = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    >>> text = render([CheckResult("demo", "production", "health", Status.CRITICAL, "502", at,
    ...                            seconds=0.25, kind="http")])
    >>> print(text.splitlines()[2])
    upkeep_check_status{project="demo",environment="production",check="health",kind="http"} 2

Families: ``upkeep_check_status`` (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN),
``upkeep_check_ok`` (1 or 0, for simple alert rules),
``upkeep_check_affects_availability``, ``upkeep_check_duration_seconds``,
``upkeep_check_last_run_timestamp_seconds`` (to alert on a stale file) and
``upkeep_check_metric`` with the result's metrics under ``metric`` and
``unit`` labels, times in seconds and sizes in bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

from upkeep.atomic import DirectoryUnwritable, write_atomic
from upkeep.errors import UsageError
from upkeep.monitor.result import CheckResult, Metric, Status

# (name, help, value of a result); all gauges.
_FAMILIES: tuple[tuple[str, str, Callable[[CheckResult], float]], ...] = (
    (
        "upkeep_check_status",
        "State of the check as Nagios numbers it: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        lambda r: int(r.status),
    ),
    ("upkeep_check_ok", "1 if the check passed, else 0.", lambda r: int(r.status is Status.OK)),
    (
        "upkeep_check_affects_availability",
        "1 if a failure of this check counts as downtime.",
        lambda r: int(r.affects_availability),
    ),
    ("upkeep_check_duration_seconds", "How long the check took.", lambda r: r.seconds),
    (
        "upkeep_check_last_run_timestamp_seconds",
        "When the check finished, in seconds since the epoch.",
        lambda r: r.at.timestamp(),
    ),
)
_METRIC = "upkeep_check_metric"
_METRIC_HELP = "A number the check measured; its name and unit are labels."
# Base units, as Prometheus prefers: seconds and bytes.
_SCALE = {
    "ms": ("s", 1e-3),
    "us": ("s", 1e-6),
    "KB": ("B", 1024.0),
    "MB": ("B", 1024.0**2),
    "GB": ("B", 1024.0**3),
    "TB": ("B", 1024.0**4),
}


def render(results: Sequence[CheckResult]) -> str:
    """The textfile for these results; the last result for a project/environment/check wins."""
    latest = list({r.key: r for r in results}.values())
    lines: list[str] = []
    for name, help_text, value in _FAMILIES:
        lines += _header(name, help_text)
        lines += [f"{name}{_labels(_identity(r))} {sample(value(r))}" for r in latest]
    samples = [
        f"{_METRIC}{_labels(_metric_labels(r, metric_name, metric))} {sample(_scaled(metric))}"
        for r in latest
        for metric_name, metric in r.metrics.items()
    ]
    if samples:
        lines += _header(_METRIC, _METRIC_HELP)
        lines += samples
    return "\n".join(lines) + "\n"


def _header(name: str, help_text: str) -> list[str]:
    escaped = help_text.replace("\\", "\\\\").replace("\n", "\\n")
    return [f"# HELP {name} {escaped}", f"# TYPE {name} gauge"]


def _identity(result: CheckResult) -> list[tuple[str, str]]:
    return [
        ("project", result.project),
        ("environment", result.environment),
        ("check", result.check),
        ("kind", result.kind),
    ]


def _metric_labels(result: CheckResult, name: str, metric: Metric) -> list[tuple[str, str]]:
    unit = _SCALE.get(metric.unit, (metric.unit, 1.0))[0]
    return [*_identity(result), ("metric", name), ("unit", unit)]


def _scaled(metric: Metric) -> float:
    return metric.value * _SCALE.get(metric.unit, ("", 1.0))[1]


def _labels(pairs: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f'{key}="{escape(value)}"' for key, value in pairs) + "}"


def escape(value: str) -> str:
    r"""A label value as the format wants it: \ " and newline escaped.

    >>> print(escape('a\\b "c"\nd'))
    a\\b \"c\"\nd
    """
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def sample(value: float) -> str:
    """A sample value: integers plain, floats as Python's shortest repr, NaN, +Inf, -Inf.

    >>> sample(2), sample(0.25), sample(float("inf")), sample(1e-7)
    ('2', '0.25', '+Inf', '1e-07')
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def check_path(path: Path) -> None:
    """A UsageError unless ``path`` can be a textfile: a *.prom name in an existing directory
    (checked before a run, so bad input costs nothing)."""
    if path.suffix != ".prom":
        raise UsageError(
            f"{path}: the textfile collector reads only *.prom files (name it e.g. upkeep.prom)"
        )
    if not path.parent.is_dir():
        raise UsageError(
            f"{path.parent}: no such directory (create it, or give the collector's directory)"
        )


def write_textfile(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once: a temporary file beside it, then os.replace.

    The name must end in .prom (the only files the collector reads); the
    temporary one does not, so the collector never picks it up.
    """
    check_path(path)
    try:
        # 0644: node_exporter usually runs as another user.
        write_atomic(path, text, mode=0o644)
    except DirectoryUnwritable as error:
        raise UsageError(f"{path.parent}: cannot write there ({error.strerror})") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot write it ({error.strerror})") from None
