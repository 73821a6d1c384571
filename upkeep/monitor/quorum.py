"""Checks from several places: what the locations agree on, as one result the incidents step on.

When the same check runs from two or more locations (CI runners, an office;
``CheckResult.location``), one runner's broken network must not page anyone.
At each new result, the newest result of every location within the quorum's
``window`` (locations silent for longer have dropped out) is a vote:

- UNKNOWN ("could not check") is no vote either way: the location could not
  tell whether the site is down, nor that it is up;
- a problem result (WARNING, CRITICAL) is a vote that the check fails, OK one
  that it passes;
- the check *agrees to fail* when at least ``needed`` of the voting locations
  fail (``all``, the default: every voting one; a number larger than the voters
  asks them all, so a runner that stopped reporting does not silence the others).

The agreed view is one ``CheckResult`` at the new result's time: the newest
failing result when the quorum agrees it fails, else the newest passing one;
when no location could tell, the new UNKNOWN itself (as one location's would
be). The incident machine (upkeep.monitor.incidents) steps on that view, so an
incident opens only when the quorum agreed for ``failure_threshold`` views in
a row, and resolves when the quorum no longer agrees it fails for
``success_threshold`` views in a row. Recovery is judged the same way as
failure on purpose: the SLA counts only agreed downtime, and waiting for a
quorum to agree the site is *up* would keep an incident open (and count
downtime) for as long as one runner's network stays broken.

One location (the default ``""`` included) is its own quorum: its result is
the agreed view unchanged, exactly as before locations existed.

    >>> at = lambda minute: dt.datetime(2026, 11, 23, 9, minute, tzinfo=dt.UTC)
    >>> def seen(location, minute, status):
    ...     return CheckResult("demo", "production", "health", status, status.name,
    ...                        at(minute), location=location)
    >>> cut_off = [seen("office", 0, Status.OK), seen("ci", 1, Status.CRITICAL)]
    >>> view = agree(cut_off, cut_off[-1], Quorum())
    >>> view.result.status.name, view.result.at.minute, view.locations
    ('OK', 1, ('office',))
    >>> both = [seen("office", 5, Status.CRITICAL), seen("ci", 6, Status.CRITICAL)]
    >>> view = agree(both, both[-1], Quorum())
    >>> view.result.status.name, view.locations
    ('CRITICAL', ('ci', 'office'))
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from upkeep.errors import UsageError
from upkeep.monitor.result import CheckResult, Status

# A location as `--location` and UPKEEP_LOCATION take it: a runner's or an office's name.
_LOCATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
LOCATION_RULE = "1-40 letters, digits, '_', '.' and '-', starting with a letter or digit"
# Two runs of the usual five-minute check timer (docs/scheduling.md): a location
# whose run came a little late still counts.
DEFAULT_WINDOW = dt.timedelta(minutes=10)


def location_name(value: str, where: str) -> str:
    """``value`` if it is a location's name, else a UsageError naming ``where`` it came from.

    >>> location_name("ci-runner-2", "--location")
    'ci-runner-2'
    """
    if not _LOCATION.fullmatch(value):
        raise UsageError(f"{where}: {value[:60]!r} is not a location name (use {LOCATION_RULE})")
    return value


@dataclass(frozen=True)
class Quorum:
    """How many of the voting locations must agree a check fails, and how long a vote lasts."""

    needed: int | None = None  # None: all of them
    window: dt.timedelta = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        if self.needed is not None and (isinstance(self.needed, bool) or self.needed < 1):
            raise ValueError(f"a quorum must be 'all' or at least 1, got {self.needed!r}")
        if self.window <= dt.timedelta(0):
            raise ValueError(f"a quorum's window must be positive, got {self.window}")

    def required(self, voters: int) -> int:
        """Failing votes needed out of ``voters``."""
        return voters if self.needed is None else min(self.needed, voters)


ALL = Quorum()


@dataclass(frozen=True)
class Agreed:
    """The view the incidents step on, and the locations whose results make it."""

    result: CheckResult
    # Sorted names of the locations that agree with ``result``'s status (no "" in it).
    locations: tuple[str, ...]


def newest_per_location(
    results: Iterable[CheckResult], at: dt.datetime, window: dt.timedelta
) -> list[CheckResult]:
    """Each location's newest result taken in ``(at - window, at]``, newest first."""
    newest: dict[str, CheckResult] = {}
    for result in results:
        if at - window < result.at <= at:
            kept = newest.get(result.location)
            if kept is None or result.at > kept.at:
                newest[result.location] = result
    return sorted(newest.values(), key=lambda r: r.at, reverse=True)


def agree(latest: Sequence[CheckResult], new: CheckResult, quorum: Quorum = ALL) -> Agreed:
    """What the locations agree on when ``new`` arrives, from each one's newest result
    (``latest``, ``new`` among them; see ``newest_per_location``)."""
    # ``new`` first: it stands for its location even if ``latest`` holds a stored copy of it.
    votes = newest_per_location([new, *latest], new.at, quorum.window)
    if len(votes) <= 1:
        return Agreed(new, _names([new]))
    voters = [r for r in votes if r.status is not Status.UNKNOWN]
    if not voters:
        return Agreed(new, _names(votes))
    failing = [r for r in voters if r.status.is_problem]
    passing = [r for r in voters if not r.status.is_problem]
    side = failing if len(failing) >= quorum.required(len(voters)) else passing
    chosen = next((r for r in side if r is new), side[0])  # else the newest of that side
    return Agreed(replace(chosen, at=new.at, cause=_common_cause(side)), _names(side))


def _common_cause(side: Sequence[CheckResult]) -> str:
    """A consequence only when every agreeing location saw it follow from the same root."""
    causes = {r.cause for r in side}
    return causes.pop() if len(causes) == 1 else ""


def _names(results: Iterable[CheckResult]) -> tuple[str, ...]:
    return tuple(sorted({r.location for r in results if r.location}))
