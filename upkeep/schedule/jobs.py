"""The upkeep commands a schedule runs, and what their exit codes mean to a scheduler.

One table feeds the unit files, the cron file, both CI files and the docs, so
a command line or an exit code is written down once.

    >>> JOBS["update"].argv("shop")
    ('update', 'minor', 'shop', '--yes', '--json')
    >>> JOBS["update-check"].warn_codes
    (100,)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class JobCommand:
    name: str  # as in file names, UPKEEP_JOB and workflow_dispatch
    title: str
    args: tuple[str, ...]  # PROJECT stands for the project's name
    exit_codes: tuple[tuple[int, str], ...]
    # Codes that mean "ran, but look": CI shows them as a warning, not a failure.
    warn_codes: tuple[int, ...] = ()
    changes_hosts: bool = True  # runs under the project's one-at-a-time lock/group
    commits_pins: bool = False  # may commit inventories/PROJECT.pins.yml
    writes_reports: bool = False  # its reports are the point: CI keeps them after success too

    def argv(self, project: str) -> tuple[str, ...]:
        return tuple(project if word == "PROJECT" else word for word in self.args)


JOBS = {
    job.name: job
    for job in (
        JobCommand(
            "update",
            "minor PHP update",
            ("update", "minor", "PROJECT", "--yes", "--json"),
            ((0, "updated, or nothing to do"), (1, "failed and rolled back"), (2, "bad input")),
            commits_pins=True,
        ),
        JobCommand(
            "update-check",
            "minor PHP update, proposal only",
            ("update", "minor", "PROJECT", "--check"),
            (
                (0, "no update available"),
                (1, "could not find out"),
                (2, "bad input"),
                (100, "an update is available"),
            ),
            warn_codes=(100,),
            changes_hosts=False,
        ),
        JobCommand(
            "refresh",
            "staging refresh from production",
            ("refresh", "PROJECT", "--to", "staging", "--yes", "--json"),
            ((0, "done"), (1, "failed, staging restored"), (2, "bad input, nothing changed")),
            commits_pins=True,
        ),
        JobCommand(
            "check",
            "monitoring checks",
            ("check", "PROJECT"),
            ((0, "OK"), (1, "WARNING"), (2, "CRITICAL"), (3, "UNKNOWN")),
            warn_codes=(1,),
            changes_hosts=False,
        ),
        JobCommand(
            "propose",
            "major PHP upgrade proposal",
            ("propose", "PROJECT"),
            (
                (0, "done, whether or not anything was proposed"),
                (1, "production's package source could not be read"),
                (2, "bad input"),
            ),
            changes_hosts=False,  # reads the offered PHP lines; writes reports/proposals/ here
            writes_reports=True,
        ),
    )
}
