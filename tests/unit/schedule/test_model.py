"""The schedule's options: what parses, what it becomes, and the one-line refusals."""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath

import pytest

from upkeep.cli.main import build_parser
from upkeep.errors import UsageError
from upkeep.schedule.jobs import JOBS
from upkeep.schedule.model import (
    CHECK_INTERVALS,
    Every,
    Schedule,
    Weekly,
    check_distinct,
    check_repo_dir,
    check_user,
    parse_every,
    parse_weekly,
    runs,
)


@pytest.mark.parametrize(
    ("text", "days", "hour", "minute", "label"),
    [
        ("Tue 06:00", (1,), 6, 0, "Tue 06:00"),
        ("tuesday 6:00", (1,), 6, 0, "Tue 06:00"),
        ("SUN 23:59", (6,), 23, 59, "Sun 23:59"),
        ("Mon,Thu 05:30", (0, 3), 5, 30, "Mon,Thu 05:30"),
        ("Mon..Fri 05:30", (0, 1, 2, 3, 4), 5, 30, "Mon..Fri 05:30"),
        ("Mon-Wed,Sat 00:00", (0, 1, 2, 5), 0, 0, "Mon..Wed,Sat 00:00"),
        ("Sat,Sun 04:15", (5, 6), 4, 15, "Sat,Sun 04:15"),
        ("Thu,Mon,Thu 07:00", (0, 3), 7, 0, "Mon,Thu 07:00"),
        ("daily 03:00", (0, 1, 2, 3, 4, 5, 6), 3, 0, "daily 03:00"),
        ("Mon..Sun 03:00", (0, 1, 2, 3, 4, 5, 6), 3, 0, "daily 03:00"),
    ],
)
def test_weekly_forms_and_their_canonical_label(
    text: str, days: tuple[int, ...], hour: int, minute: int, label: str
) -> None:
    weekly = parse_weekly(text, "--update-at")
    assert (weekly.days, weekly.hour, weekly.minute) == (days, hour, minute)
    assert str(weekly) == label
    # The label is itself valid input for the same schedule.
    assert parse_weekly(label, "--update-at") == weekly


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Tus 06:00", "unknown weekday 'Tus' (did you mean 'Tue'?)"),
        ("Xyz 06:00", "unknown weekday 'Xyz' (use Mon, Tue"),
        ("Fri..Mon 06:00", "the range 'Fri..Mon' runs backwards"),
        ("Mon.. 06:00", "'Mon..' is not a day or a range"),
        ("Tue 24:00", "24:00 is not a time of day"),
        ("Tue 06:60", "06:60 is not a time of day"),
        ("Tue 6am", "'6am' is not a time (use 24-hour HH:MM)"),
        ("Tue", "expected 'DAYS HH:MM'"),
        ("Tue 06:00 Europe/Warsaw", "expected 'DAYS HH:MM'"),
        ("", "expected 'DAYS HH:MM'"),
    ],
)
def test_bad_weekly_is_one_line_naming_the_option(text: str, fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_weekly(text, "--refresh-at")
    message = str(caught.value)
    assert message.startswith(f"--refresh-at {text!r}: ")
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize("minutes", CHECK_INTERVALS)
def test_every_interval_that_divides_an_hour(minutes: int) -> None:
    assert parse_every(f"{minutes}m", "--check-every") == Every(minutes)
    assert 60 % minutes == 0


@pytest.mark.parametrize(("text", "minutes"), [("1h", 60), ("5min", 5), (" 10M ", 10)])
def test_every_spellings(text: str, minutes: int) -> None:
    assert parse_every(text, "--check-every").minutes == minutes


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("7m", "7 minutes does not divide an hour evenly"),
        ("45m", "45 minutes does not divide an hour evenly"),
        ("0m", "0 minutes does not divide an hour evenly"),
        ("2h", "120 minutes does not divide an hour evenly"),
        ("5", "expected minutes such as '5m'"),
        ("five", "expected minutes such as '5m'"),
        ("5s", "expected minutes such as '5m'"),
    ],
)
def test_bad_interval(text: str, fragment: str) -> None:
    with pytest.raises(UsageError, match=r"^--check-every ") as caught:
        parse_every(text, "--check-every")
    assert fragment in str(caught.value)


def test_labels_of_every() -> None:
    assert (str(Every(5)), Every(5).label()) == ("5m", "every 5 min")
    assert (str(Every(60)), Every(60).label()) == ("1h", "every hour")


def test_runs_make_ranges_of_three_or_more() -> None:
    assert runs((0, 1)) == [(0, 0), (1, 1)]
    assert runs((0, 1, 2)) == [(0, 2)]
    assert runs((2, 4, 5, 6)) == [(2, 2), (4, 6)]


def test_update_and_refresh_may_not_start_together() -> None:
    update = Weekly((1,), 6, 0)
    with pytest.raises(UsageError, match="start together on Tue"):
        check_distinct(update, Weekly((0, 1), 6, 0))
    check_distinct(update, Weekly((0,), 6, 0))  # another day
    check_distinct(update, Weekly((1,), 4, 0))  # another time
    check_distinct(update, None)


@pytest.mark.parametrize("name", ["upkeep", "_ops", "web-ops1"])
def test_good_users(name: str) -> None:
    assert check_user(name) == name


@pytest.mark.parametrize("name", ["Upkeep", "1ops", "up keep", "root;id", "", "a" * 33])
def test_bad_users(name: str) -> None:
    with pytest.raises(UsageError, match=r"^--user "):
        check_user(name)


@pytest.mark.parametrize(
    "path", ["relative/dir", "/srv/my ops", "/srv/$HOME", "/srv/../etc", "/a;b"]
)
def test_repo_dirs_that_cannot_go_unquoted_into_units(path: str) -> None:
    with pytest.raises(UsageError, match=r"^--repo-dir "):
        check_repo_dir(path)


def test_a_plain_repo_dir() -> None:
    assert check_repo_dir("/srv/ops-2/agency.git") == PurePosixPath("/srv/ops-2/agency.git")


def test_command_line_in_the_headers_parses_back_to_the_same_options() -> None:
    schedule = Schedule(
        "shop",
        "Europe/Warsaw",
        "ops",
        PurePosixPath("/srv/ops"),
        Weekly((0, 1, 2, 3, 4), 5, 30),
        None,
        Every(10),
    )
    words = shlex.split(schedule.command_line())
    assert words[:2] == ["upkeep", "schedule"]
    args = build_parser().parse_args(words[1:])
    (project,) = args.projects  # the selector grammar: PROJECT...
    again = Schedule(
        project,
        args.timezone,
        args.user,
        PurePosixPath(args.repo_dir),
        parse_weekly(args.update_at, "--update-at") if args.update_at else None,
        parse_weekly(args.refresh_at, "--refresh-at") if args.refresh_at else None,
        parse_every(args.check_every, "--check-every") if args.check_every else None,
    )
    assert again == schedule


def test_jobs_run_refresh_before_update_and_skip_the_switched_off() -> None:
    schedule = Schedule(
        "shop", "UTC", "upkeep", PurePosixPath("/srv/ops"), Weekly((1,), 6, 0), None, Every(5)
    )
    assert [job.value for job, _ in schedule.jobs()] == ["update", "check"]
    assert schedule.upkeep == "/srv/ops/.venv/bin/upkeep"


def test_job_commands_are_the_agreed_command_lines() -> None:
    assert JOBS["update"].argv("shop") == ("update", "minor", "shop", "--yes", "--json")
    assert JOBS["update-check"].argv("shop") == ("update", "minor", "shop", "--check")
    assert JOBS["refresh"].argv("shop") == ("refresh", "shop", "--to", "staging", "--yes", "--json")
    assert JOBS["check"].argv("shop") == ("check", "shop")
    assert {code for code, _ in JOBS["check"].exit_codes} == {0, 1, 2, 3}
    assert 100 in dict(JOBS["update-check"].exit_codes)
