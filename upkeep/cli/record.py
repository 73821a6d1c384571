"""Every command run goes on record in the state store (``upkeep runs`` lists them).

The rule: a run is recorded whatever its outcome (done, failed, refused,
interrupted, crashed), unless its command is a read-out, which only shows what
upkeep already knows and changes nothing (``READ_OUTS``: listing runs must not
add one). ``--help``, ``--version`` and command lines argparse refuses never
reach a command, so they are not runs either.

What is kept is the command's name and the projects it selected (names of
inventory files), never the raw argv: an option's value may be a secret. A
store that cannot be written never fails the command: one warning line on
stderr, and the command's own exit code stands.

    >>> "runs" in READ_OUTS and "refresh" not in READ_OUTS
    True
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import re
import socket
import sys
import time
import uuid

from upkeep import __version__
from upkeep.cli.output import command_of
from upkeep.errors import UpkeepError
from upkeep.exitcodes import ExitCode
from upkeep.reports.envelope import STATUS
from upkeep.state import Run, open_store
from upkeep.state.current import Notes, noting
from upkeep.state.runs import STARTED
from upkeep.workspace import find_workspace, state_home

READ_OUTS = frozenset(
    {
        "runs",
        "state check",
        "inventory check",
        "inventory show",
        "lab status",
        "dev status",
        "update status",
        "fleet status",
        # The dashboard shows the runs: building it must not add one (a rebuild would differ).
        "dashboard build",
        "dashboard serve",
        "incident list",
    }
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def run_recorded(args: argparse.Namespace) -> int:
    """``args.handler(args)``'s exit code, the run recorded on the way out (exceptions too)."""
    command = command_of(args)
    if command in READ_OUTS:
        return int(args.handler(args))
    started, clock = dt.datetime.now(dt.UTC), time.monotonic()
    run_id = uuid.uuid4().hex
    with noting() as notes:

        def record(code: int, status: str) -> bool:
            projects = notes.projects or _named_projects(args)
            seconds = time.monotonic() - clock
            return _record(run_id, command, projects, notes, started, seconds, code, status)

        # On record from its start, so a run killed midway (kill -9, a lost CI runner) is
        # still listed, as started with no end; its end replaces that below.
        if not record(-1, STARTED):
            record = _not_again  # one warning per run is enough

        try:
            code = int(args.handler(args))
        except UpkeepError as error:
            record(int(error.exit_code), STATUS.get(int(error.exit_code), "failed"))
            raise
        except KeyboardInterrupt:
            record(int(ExitCode.FAILED), "interrupted")
            raise
        except BaseException:
            record(int(ExitCode.FAILED), "crashed")
            raise
        record(code, STATUS.get(code, "failed"))
    return code


def _not_again(code: int, status: str) -> bool:
    return False


def _record(
    run_id: str,
    command: str,
    projects: list[str],
    notes: Notes,
    started: dt.datetime,
    seconds: float,
    code: int,
    status: str,
) -> bool:
    """Whether ``run_id`` went on record as it stands now (else a warning line was printed)."""
    machine = socket.gethostname()
    run = Run(
        id=run_id,
        started=started,
        ended=dt.datetime.now(dt.UTC),
        who=f"{_user()}@{machine}",
        machine=machine,
        upkeep_version=__version__,
        command=command,
        projects=tuple(projects),
        status=status,
        exit_code=code,
        duration_seconds=round(seconds, 3),
        reports=tuple(notes.reports),
        state_home=str(state_home()),
        pins_commits=tuple(notes.pins_commits),
    )
    try:
        with open_store() as store:
            store.record_run(run)
    except Exception as error:  # whatever the store's trouble, the command's outcome stands
        print(f"upkeep: warning: this run was not recorded ({error})", file=sys.stderr)
        return False
    return True


def _named_projects(args: argparse.Namespace) -> list[str]:
    """The words of the command line that name inventory files (a refused run's projects)."""
    words = [*(getattr(args, "projects", None) or []), getattr(args, "project", None)]
    names = [word for word in words if isinstance(word, str) and _NAME.fullmatch(word)]
    if not names:
        return []
    try:
        inventories = find_workspace(args.root).inventories
    except UpkeepError:
        return []
    return [name for name in dict.fromkeys(names) if (inventories / f"{name}.yml").is_file()]


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no password entry (a bare container)
        return "unknown"
