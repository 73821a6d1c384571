"""What to schedule for a project, and the strict parsing of each option.

A schedule holds four optional jobs: the weekly minor PHP update, the staging
refresh before it, the monitoring checks every few minutes, and the weekly
major-upgrade proposal (only for a project whose care plan has major_proposals). Times are wall
clock times in the schedule's time zone.

    >>> at = parse_weekly("Mon..Fri 06:30", "--update-at")
    >>> at.days, str(at)
    ((0, 1, 2, 3, 4), 'Mon..Fri 06:30')
    >>> str(parse_weekly("tuesday 6:00", "--update-at"))
    'Tue 06:00'
    >>> parse_every("15m", "--check-every").minutes
    15
    >>> parse_weekly("Tus 06:00", "--update-at")
    Traceback (most recent call last):
    ...
    upkeep.errors.UsageError: --update-at 'Tus 06:00': unknown weekday 'Tus' (did you mean 'Tue'?)
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

from upkeep.errors import UsageError

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EVERY_DAY = tuple(range(7))

# Minutes that divide an hour: the checks then fall on the same minutes every
# hour, which cron (*/N) and systemd (*:00/N) both express exactly.
CHECK_INTERVALS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)

DEFAULT_TIMEZONE = "UTC"
DEFAULT_UPDATE_AT = "Tue 06:00"
DEFAULT_REFRESH_AT = "Tue 04:00"  # staging is fresh when the update tries it first
DEFAULT_CHECK_EVERY = "5m"
DEFAULT_PROPOSE_AT = "Mon 07:00"  # the week's proposals are read at its start
DEFAULT_USER = "upkeep"

_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_EVERY = re.compile(r"([0-9]{1,4})\s*(m|min|h)")
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
# Paths go unquoted into unit files and cron lines, so only plainly safe characters.
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._/@+-]*")


class Job(StrEnum):
    """The jobs a schedule runs, by the name files and CI variables use."""

    update = "update"
    refresh = "refresh"
    check = "check"
    propose = "propose"


@dataclass(frozen=True)
class Weekly:
    """Some days of the week (0 = Monday) at one wall-clock time."""

    days: tuple[int, ...]
    hour: int
    minute: int

    @property
    def daily(self) -> bool:
        return self.days == EVERY_DAY

    def days_label(self) -> str:
        """``Tue``, ``Mon,Thu``, ``Mon..Fri`` or ``daily`` (systemd's own day syntax)."""
        if self.daily:
            return "daily"
        return ",".join(
            DAY_NAMES[first] if first == last else f"{DAY_NAMES[first]}..{DAY_NAMES[last]}"
            for first, last in runs(self.days)
        )

    def time_label(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    def __str__(self) -> str:
        return f"{self.days_label()} {self.time_label()}"


@dataclass(frozen=True)
class Every:
    """Every ``minutes`` minutes, on the minutes of the hour they divide evenly."""

    minutes: int

    def __str__(self) -> str:
        return "1h" if self.minutes == 60 else f"{self.minutes}m"

    def label(self) -> str:
        return "every hour" if self.minutes == 60 else f"every {self.minutes} min"


@dataclass(frozen=True)
class Schedule:
    """Everything ``upkeep schedule`` renders, validated."""

    project: str
    timezone: str
    user: str  # the dedicated system user that runs the jobs
    repo_dir: PurePosixPath  # the operator repository on the machine that runs them
    update: Weekly | None
    refresh: Weekly | None
    check: Every | None
    propose: Weekly | None = None  # as asked; runs only if ``proposals``
    proposals: bool = False  # the project's care plan has major_proposals

    @property
    def upkeep(self) -> str:
        """The upkeep executable: the repository's own virtualenv, as scripts/bootstrap makes it."""
        return str(self.repo_dir / ".venv" / "bin" / "upkeep")

    def jobs(self) -> list[tuple[Job, Weekly | Every]]:
        """The jobs switched on, refresh first (it runs before the update)."""
        wanted: list[tuple[Job, Weekly | Every | None]] = [
            (Job.refresh, self.refresh),
            (Job.update, self.update),
            (Job.check, self.check),
            (Job.propose, self.propose if self.proposals else None),
        ]
        return [(job, when) for job, when in wanted if when is not None]

    def command_line(self) -> str:
        """The ``upkeep schedule`` call that makes exactly these files (for their headers)."""
        words = ["upkeep", "schedule", self.project, *self.timing_words()]
        words += ["--user", self.user, "--repo-dir", str(self.repo_dir)]
        return shlex.join(words)

    def timing_words(self) -> list[str]:
        """The options that say when each job runs, as ``upkeep schedule`` takes them."""
        words = ["--timezone", self.timezone]
        words += ["--update-at", str(self.update)] if self.update else ["--no-update"]
        words += ["--refresh-at", str(self.refresh)] if self.refresh else ["--no-refresh"]
        words += ["--check-every", str(self.check)] if self.check else ["--no-checks"]
        # Only when not the default, so headers from before the propose job read the same.
        if self.propose is None:
            words.append("--no-propose")
        elif str(self.propose) != DEFAULT_PROPOSE_AT:
            words += ["--propose-at", str(self.propose)]
        return words

    def to_dict(self) -> dict[str, object]:
        return {
            "project": self.project,
            "timezone": self.timezone,
            "user": self.user,
            "repo_dir": str(self.repo_dir),
            "update": str(self.update) if self.update else None,
            "refresh": str(self.refresh) if self.refresh else None,
            "check_every": str(self.check) if self.check else None,
            "propose": str(self.propose) if self.propose and self.proposals else None,
        }


def runs(days: tuple[int, ...]) -> list[tuple[int, int]]:
    """Sorted numbers as (first, last) runs; two neighbours stay a list, three make a range.

    >>> runs((0, 1, 2, 4, 5))
    [(0, 2), (4, 4), (5, 5)]
    """
    groups: list[list[int]] = []
    for day in days:
        if groups and day == groups[-1][-1] + 1:
            groups[-1].append(day)
        else:
            groups.append([day])
    result: list[tuple[int, int]] = []
    for group in groups:
        if len(group) >= 3:
            result.append((group[0], group[-1]))
        else:
            result.extend((day, day) for day in group)
    return result


def parse_weekly(text: str, option: str) -> Weekly:
    """``DAYS HH:MM``: a day (Tue, tuesday), a list (Mon,Thu), a range (Mon..Fri) or daily."""
    words = text.split()
    if len(words) != 2:
        raise UsageError(
            f"{option} {text!r}: expected 'DAYS HH:MM' (e.g. 'Tue 06:00', 'Mon..Fri 05:30', "
            "'daily 03:00')"
        )
    days = _parse_days(words[0], option, text)
    hour, minute = _parse_time(words[1], option, text)
    return Weekly(days, hour, minute)


def parse_every(text: str, option: str) -> Every:
    """``Nm`` (N minutes dividing an hour: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60) or ``1h``."""
    match = _EVERY.fullmatch(text.strip().lower())
    allowed = ", ".join(map(str, CHECK_INTERVALS))
    if not match:
        raise UsageError(f"{option} {text!r}: expected minutes such as '5m' (or '1h')")
    count, unit = int(match[1]), match[2]
    minutes = count * 60 if unit == "h" else count
    if minutes not in CHECK_INTERVALS:
        raise UsageError(
            f"{option} {text!r}: {minutes} minutes does not divide an hour evenly "
            f"(use {allowed} minutes)"
        )
    return Every(minutes)


def check_user(name: str) -> str:
    if not _USER.fullmatch(name):
        raise UsageError(
            f"--user {name!r}: not a system user name (use up to 32 lowercase letters, digits, "
            "'_' and '-', starting with a letter or '_')"
        )
    return name


def check_repo_dir(path: str, option: str = "--repo-dir") -> PurePosixPath:
    """An absolute path that unit files and cron lines can hold without quoting."""
    if not _SAFE_PATH.fullmatch(path) or "/../" in f"{path}/":
        raise UsageError(
            f"{option} {path!r}: use an absolute path of letters, digits and ._/@+- only "
            "(it goes unquoted into unit files and cron lines)"
        )
    return PurePosixPath(path)


def check_distinct(update: Weekly | None, refresh: Weekly | None) -> None:
    """The update and the refresh never start at the same minute (one would refuse the lock)."""
    if update is None or refresh is None:
        return
    same_time = (update.hour, update.minute) == (refresh.hour, refresh.minute)
    shared = sorted(set(update.days) & set(refresh.days))
    if same_time and shared:
        raise UsageError(
            f"--refresh-at {refresh} and --update-at {update} start together on "
            f"{DAY_NAMES[shared[0]]}; run the refresh earlier (e.g. 02:00 before the update)"
        )


def _parse_days(word: str, option: str, text: str) -> tuple[int, ...]:
    if word.lower() in ("daily", "*"):
        return EVERY_DAY
    days: set[int] = set()
    for part in word.split(","):
        ends = part.split("..")
        if len(ends) == 1 and "-" in part:
            ends = part.split("-")
        if len(ends) > 2 or not all(ends):
            raise UsageError(f"{option} {text!r}: {part!r} is not a day or a range like Mon..Fri")
        first, last = (_day(end, option, text) for end in (ends[0], ends[-1]))
        if last < first:
            raise UsageError(
                f"{option} {text!r}: the range {part!r} runs backwards (weeks start on Monday; "
                f"write {DAY_NAMES[first]}..Sun,Mon..{DAY_NAMES[last]})"
            )
        days.update(range(first, last + 1))
    return tuple(sorted(days))


def _day(word: str, option: str, text: str) -> int:
    # Every spelling we accept, for the lookup and for "did you mean".
    spellings = {name.lower(): index for index, name in enumerate(DAY_NAMES)}
    spellings |= {name: index for index, name in enumerate(_FULL_DAY_NAMES)}
    lowered = word.lower()
    if lowered in spellings:
        return spellings[lowered]
    close = difflib.get_close_matches(lowered, list(spellings), n=1)
    hint = (
        f"did you mean {DAY_NAMES[spellings[close[0]]]!r}?"
        if close
        else "use Mon, Tue, Wed, Thu, Fri, Sat, Sun"
    )
    raise UsageError(f"{option} {text!r}: unknown weekday {word!r} ({hint})")


def _parse_time(word: str, option: str, text: str) -> tuple[int, int]:
    match = _TIME.fullmatch(word)
    if not match:
        raise UsageError(f"{option} {text!r}: {word!r} is not a time (use 24-hour HH:MM)")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise UsageError(
            f"{option} {text!r}: {word} is not a time of day (hours 00-23, minutes 00-59)"
        )
    return hour, minute
