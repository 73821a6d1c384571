"""What one check said, as a value: the shape every part of monitoring shares.

Checks produce ``CheckResult``; the outputs (table, JSON, Nagios, Prometheus)
render them; the history stores them and opens and closes incidents from
their state changes; the SLA counts downtime only from results that
``affect_availability`` (a certificate's expiry warning is not downtime).

    >>> r = CheckResult("demo", "production", "health", Status.CRITICAL, "502 Bad Gateway",
    ...                 at=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC))
    >>> r.status.is_problem, r.affects_availability
    (True, True)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType


class Status(IntEnum):
    """Nagios's states, in its numbering, so the worst of several is ``max``."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3

    @property
    def is_problem(self) -> bool:
        return self is not Status.OK


@dataclass(frozen=True)
class Metric:
    """A measured number (Nagios perfdata, a Prometheus sample)."""

    value: float
    unit: str = ""  # Nagios units: "", s, ms, us, %, B, KB, MB, GB, TB, c
    warn: float | None = None
    crit: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    # warn/crit are floors, not ceilings: days left on a certificate, free disk.
    lower_is_worse: bool = False


@dataclass(frozen=True)
class CheckResult:
    project: str
    environment: str
    check: str  # the check's name, unique in its project and environment
    status: Status
    summary: str  # one line, no secrets
    at: dt.datetime  # aware, when the check finished
    seconds: float = 0.0  # how long the check took
    kind: str = ""  # http, tls, php_build, services, disk, database, logs, error_page
    # False for checks whose problems are not downtime (certificate expiry tiers).
    affects_availability: bool = True
    metrics: Mapping[str, Metric] = field(default_factory=lambda: MappingProxyType({}))
    details: tuple[str, ...] = ()  # further lines (the fatal errors found, say)
    # What is wrong in words, for an incident's title, when the summary is a tool's own
    # output ("curl: (7) ..."); "" when the summary already says it.
    headline: str = ""
    # The check whose failure in the same run this one follows from (upkeep.monitor.causes):
    # it opens no incident of its own and is listed under that check's. "": its own.
    cause: str = ""
    # Where the check was taken from (a location name: a runner, an office); "" when
    # upkeep was not told (one place only).
    location: str = ""

    @property
    def title(self) -> str:
        """What an incident opened by this result is called: the headline, else the summary."""
        return self.headline or self.summary

    @property
    def raw(self) -> tuple[str, ...]:
        """What the check said besides its title: kept in an incident's details."""
        return (self.summary, *self.details) if self.headline else self.details

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.project, self.environment, self.check)
