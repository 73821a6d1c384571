"""Scheduled runs: minor updates, staging refreshes and checks, as files to install.

``upkeep schedule PROJECT`` renders systemd units, a cron file, a GitLab CI
file and a GitHub Actions workflow from one validated ``Schedule``:

    >>> from upkeep.schedule.model import parse_weekly
    >>> from upkeep.schedule.expressions import oncalendar, cron_fields
    >>> at = parse_weekly("Tue 06:00", "--update-at")
    >>> oncalendar(at, "Europe/Warsaw"), cron_fields(at)
    ('Tue *-*-* 06:00:00 Europe/Warsaw', '0 6 * * 2')
"""
